// The KL calculator: KL(N(mu, sigma^2) || N(0, 1)) split into its mean and width penalties, with
// both densities drawn, on every input event of the two sliders: the numbers follow the drag. The
// released (mu, sigma) go to Python as the component state "value". Streamlit calls the default
// export again whenever `data` changes; a new `rev` means Python moved the sliders ("Start from
// this input"), otherwise the values under the user's hand stay. The offline HTML export mounts
// the same module.

function klTerms(m, s) {
  const mean = 0.5 * m * m, width = 0.5 * (s * s - 1 - Math.log(s * s));
  return { mean, width, kl: mean + width };
}

function createCalculator(root) {
  const S = { root, rev: null, setStateValue: null };
  const mu = root.querySelector(".kl-mu"), sigma = root.querySelector(".kl-sigma");
  const canvas = root.querySelector(".kl-canvas"), terms = root.querySelector(".terms");
  const muOut = root.querySelector(".kl-mu-out"), sigmaOut = root.querySelector(".kl-sigma-out");
  const fmt = (v, digits) => (v < 0 ? "−" : "") + Math.abs(v).toFixed(digits);

  function draw() {
    const m = parseFloat(mu.value), s = parseFloat(sigma.value);
    const t = klTerms(m, s);
    muOut.textContent = fmt(m, 2);
    sigmaOut.textContent = s.toFixed(2);
    terms.textContent =
      `mean penalty   μ²/2                = ${fmt(t.mean, 3)}\n` +
      `width penalty  (σ² − 1 − ln σ²)/2  = ${fmt(t.width, 3)}\n` +
      `KL             the sum             = ${fmt(t.kl, 3)} nats`;
    root.dataset.kl = String(t.kl);
    root.dataset.mu = String(m);
    root.dataset.sigma = String(s);
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(200, canvas.clientWidth), h = 240;
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
    const g = canvas.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    const cs = getComputedStyle(root);
    const get = (name, fallback) => cs.getPropertyValue(name).trim() || fallback;
    const text = get("--st-text-color", "#31333f"), primary = get("--st-primary-color", "#ff4b4b");
    const lo = -5, hi = 5, top = Math.max(0.45, 1 / (s * Math.sqrt(2 * Math.PI))) * 1.08;
    const X = (v) => 10 + ((v - lo) / (hi - lo)) * (w - 20);
    const Y = (p) => h - 24 - (p / top) * (h - 40);
    const pdf = (z, mm, ss) => Math.exp(-0.5 * ((z - mm) / ss) ** 2) / (ss * Math.sqrt(2 * Math.PI));
    g.font = "12px " + get("--st-font", "sans-serif");
    g.fillStyle = text;
    g.globalAlpha = 0.7;
    for (let v = -4; v <= 4; v += 2) g.fillText(String(v).replace("-", "−"), X(v) - 4, h - 6);
    g.fillText("z", w - 16, h - 6);
    g.globalAlpha = 1;
    // each label beside its own peak, on the side away from the other curve
    const side = m >= 0 ? 1 : -1;
    const curves = [[0, 1, "rgba(128,128,128,0.95)", "prior N(0, 1)", [5, 4], -side],
                    [m, s, primary, "q = N(μ, σ²)", [], side]];
    for (const [mm, ss, colour, label, dash, away] of curves) {
      g.strokeStyle = colour;
      g.lineWidth = 2.5;
      g.setLineDash(dash);
      g.beginPath();
      for (let i = 0; i <= 400; i++) {
        const z = lo + ((hi - lo) * i) / 400;
        const y = Math.max(8, Y(pdf(z, mm, ss)));
        if (i) g.lineTo(X(z), y); else g.moveTo(X(z), y);
      }
      g.stroke();
      g.setLineDash([]);
      g.fillStyle = colour;
      g.textAlign = away > 0 ? "left" : "right";
      const lx = Math.min(w - 4, Math.max(4, X(mm + away * (0.45 * ss + 0.1))));
      g.fillText(label, lx, Math.max(20, Y(pdf(mm, mm, ss)) - 6));
      g.textAlign = "left";
    }
  }

  function commit() {
    if (S.setStateValue) {
      S.setStateValue("value", { mu: parseFloat(mu.value), sigma: parseFloat(sigma.value) });
    }
  }

  for (const input of [mu, sigma]) {
    input.addEventListener("input", draw);
    input.addEventListener("change", commit);  // released: Python keeps it for the next rerun
  }
  if (window.ResizeObserver) new ResizeObserver(() => draw()).observe(canvas);

  S.redraw = draw;  // the offline page calls it when the colour scheme changes
  S.update = (data) => {
    const [muLo, muHi] = data.mu_range, [sLo, sHi] = data.sigma_range;
    Object.assign(mu, { min: muLo, max: muHi, step: data.step });
    Object.assign(sigma, { min: sLo, max: sHi, step: data.step });
    if (data.rev !== S.rev) {  // moved from Python: replaces what is under the user's hand
      S.rev = data.rev;
      mu.value = data.mu;
      sigma.value = data.sigma;
    }
    draw();
    root.dataset.ready = "1";
  };
  return S;
}

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  const root = parentElement.querySelector(".vae-kl");
  if (!root || !data) return;
  if (!root.__kl) root.__kl = createCalculator(root);
  root.__kl.setStateValue = setStateValue;
  root.__kl.update(data);
}
