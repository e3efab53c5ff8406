// The latent explorer: a slider per latent dim and a 2-D pad, decoded in the browser on every
// input event (decoder_core.js and plane.js are prepended to this module). The released z goes to
// Python as the component state "z". Streamlit calls the default export again whenever `data` changes, with
// the same parentElement, so everything lives on the root element and is updated in place.

const PAD_CSS = 300;
const COMMIT_DELAY_MS = 150;

function createExplorer(root) {
  const S = {
    root, modelId: null, dec: null, z: null, rev: null, dragging: false, pendingData: null,
    drawCount: 0, lastDecodeMs: 0, setStateValue: null, commitTimer: null, layoutKey: null,
    inputs: [], values: [], pad: null, scatter: null, classNames: [], sprite: null,
    hoverIndex: null,
  };
  const sliders = root.querySelector(".sliders");
  const padWrap = root.querySelector(".pad-wrap");
  const padCanvas = root.querySelector("canvas.pad");
  const padX = root.querySelector(".pad-x");
  const padY = root.querySelector(".pad-y");
  const imageCanvas = root.querySelector("canvas.image");
  const status = root.querySelector(".status");
  const hoverCanvas = root.querySelector("canvas.pad-hover");
  const hoverToggle = root.querySelector("input.pad-hover-on");
  const padCtx = padCanvas.getContext("2d");
  const imageCtx = imageCanvas.getContext("2d");
  let imageData = null;
  let padBackground = null;
  let legend = null;

  function theme() {
    const cs = getComputedStyle(root);
    const get = (name, fallback) => (cs.getPropertyValue(name) || "").trim() || fallback;
    // Class colours come from Python (ui/style.py), the same as every Plotly figure's.
    return { text: get("--st-text-color", "#31333f"), bg: get("--st-background-color", "#fff"),
             panel: get("--st-secondary-background-color", "#f0f2f6"),
             primary: get("--st-primary-color", "#ff4b4b"),
             colors: S.colors && S.colors.length ? S.colors : ["#808080"] };
  }

  // ---- decoding and drawing ---------------------------------------------------------------
  function render() {
    const t0 = performance.now();
    const mean = S.dec.decode(S.z);
    const px = imageData.data;
    const [c, h, w] = S.dec.header.image_shape;
    const plane = h * w;
    for (let i = 0; i < plane; i++) {
      for (let ch = 0; ch < 3; ch++) {
        const m = mean[(c === 3 ? ch * plane : 0) + i];
        px[4 * i + ch] = Math.floor(Math.min(1, Math.max(0, m)) * 255 + 0.5);
      }
      px[4 * i + 3] = 255;
    }
    imageCtx.putImageData(imageData, 0, 0);
    S.lastDecodeMs = performance.now() - t0;
    S.drawCount += 1;
    drawPad();
    status.textContent = `${S.dec.summary} decoder · ${(S.dec.weightBytes / 1024).toFixed(0)} KB ` +
      `of float32 weights, sent once per model · decoded here in ${S.lastDecodeMs.toFixed(1)} ms`;
  }

  function setZ(z) {
    for (let d = 0; d < S.z.length; d++) S.z[d] = z[d];
    syncSliders();
    render();
    return Array.from(S.dec.mean);
  }

  function syncSliders() {
    for (let d = 0; d < S.z.length; d++) {
      if (S.inputs[d]) {
        S.inputs[d].value = S.z[d];
        S.values[d].textContent = vaeSigned(S.z[d]);
      }
    }
  }

  function commit(delay) {
    clearTimeout(S.commitTimer);
    S.commitTimer = setTimeout(() => {
      for (let d = 0; d < S.z.length; d++) S.z[d] = Math.round(S.z[d] * 100) / 100;
      syncSliders();
      render();
      if (S.setStateValue) S.setStateValue("z", Array.from(S.z));
    }, delay);
  }

  // ---- sliders ----------------------------------------------------------------------------
  function buildSliders(data) {
    sliders.replaceChildren();
    S.inputs = [];
    S.values = [];
    for (const d of data.order) {
      const [lo, hi] = data.ranges[d];
      const row = document.createElement("div");
      row.className = "row" + (data.active[d] ? "" : " inactive");
      row.dataset.dim = d;
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = "z" + d;
      const input = document.createElement("input");
      input.type = "range";
      input.min = lo;
      input.max = hi;
      input.step = 0.01;
      input.value = S.z[d];
      input.setAttribute("aria-label", `z${d}` + (data.active[d] ? "" : " (inactive)"));
      const a = ((-3 - lo) / (hi - lo)) * 100, b = ((3 - lo) / (hi - lo)) * 100;
      const base = "color-mix(in srgb, var(--st-text-color, #888) 14%, transparent)";
      const band = "color-mix(in srgb, var(--st-primary-color, #ff4b4b) 35%, transparent)";
      input.style.setProperty("--track", `linear-gradient(to right, ${base} 0 ${a}%, ` +
        `${band} ${a}% ${b}%, ${base} ${b}% 100%)`);
      const value = document.createElement("span");
      value.className = "value";
      value.textContent = vaeSigned(S.z[d]);
      const meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = (data.active[d] ? "" : "inactive ") + data.kl[d].toFixed(2) + " nats";
      meta.title = "Mean KL(q(z_d|x) || N(0,1)) over the test set; inactive: Var(μ_d) ≤ 0.01";
      const ends = document.createElement("span");
      ends.className = "ends";
      const wide = lo < -3 || hi > 3;
      ends.innerHTML = wide
        ? `<span>${lo}</span><span>shaded: prior ±3σ</span><span>${hi}</span>`
        : "<span>−3σ</span><span>0</span><span>+3σ</span>";
      row.append(name, input, value, meta, ends);
      sliders.append(row);
      S.inputs[d] = input;
      S.values[d] = value;
      input.addEventListener("input", () => {
        S.z[d] = parseFloat(input.value);
        value.textContent = vaeSigned(S.z[d]);
        render();
      });
      input.addEventListener("change", () => commit(S.dragging ? 0 : COMMIT_DELAY_MS));
      input.addEventListener("pointerdown", () => { S.dragging = true; });
    }
  }

  // ---- the pad ----------------------------------------------------------------------------
  // One square window [-m, m]^2 for both dims (m covers both sliders' ranges), so a unit of z is
  // as long across as up and the prior's rings are circles.
  function padSpan() {
    const [dx, dy] = S.pad;
    const rx = S.ranges[dx], ry = S.ranges[dy];
    const m = Math.max(-rx[0], rx[1], -ry[0], ry[1]) + 0.2;  // + 0.2: the 3-sigma ring clears the edge
    return [-m, m];
  }

  function padToPx(v, size, flip) {
    const r = padSpan();
    return vaePlaneToPx(v, r[0], r[1], size, flip);
  }

  function buildPadBackground() {
    if (!S.pad) return;
    const dpr = window.devicePixelRatio || 1;
    const size = Math.round(PAD_CSS * dpr);
    padCanvas.width = size;
    padCanvas.height = size;
    const off = document.createElement("canvas");
    off.width = size;
    off.height = size;
    const g = off.getContext("2d");
    const th = theme();
    const [dx, dy] = S.pad;
    const span = padSpan();
    const unit = size / (span[1] - span[0]);
    g.fillStyle = th.panel;
    g.fillRect(0, 0, size, size);
    // grid lines and tick values at whole units (every 2 when the window is wide)
    const step = span[1] > 6 ? 2 : 1;
    g.strokeStyle = th.text;
    g.fillStyle = th.text;
    g.lineWidth = dpr;
    g.font = `${10 * dpr}px sans-serif`;
    for (let v = Math.ceil(span[0] / step) * step; v <= span[1]; v += step) {
      const px = padToPx(v, size, false), py = padToPx(v, size, true);
      g.globalAlpha = v === 0 ? 0.3 : 0.08;
      g.beginPath();
      g.moveTo(px, 0); g.lineTo(px, size); g.moveTo(0, py); g.lineTo(size, py);
      g.stroke();
      if (Math.abs(v) < span[1] - 0.2 * step) {
        g.globalAlpha = 0.7;
        const label = v < 0 ? `−${-v}` : String(v);
        g.textAlign = "center";
        g.textBaseline = "bottom";
        g.fillText(label, px, size - 2 * dpr);  // along the bottom: the horizontal dim
        g.textAlign = "left";
        g.textBaseline = "middle";
        if (v !== 0) g.fillText(label, 3 * dpr, py);  // along the left: the vertical dim
      }
    }
    g.textAlign = "left";
    g.textBaseline = "alphabetic";
    if (S.scatter) {
      vaeDrawScatter(g, S.scatter, dx, dy, (v, flip) => padToPx(v, size, flip), th.colors, 0.55,
                     1.7 * dpr);
    }
    // the prior's rings on top of the points, dashed as on every plane and legend, each labelled
    g.strokeStyle = th.text;
    g.fillStyle = th.text;
    g.lineWidth = 1.5 * dpr;
    const cx = padToPx(0, size, false), cy = padToPx(0, size, true);
    for (const k of [1, 2, 3]) {
      g.globalAlpha = 0.7;
      g.setLineDash([5 * dpr, 4 * dpr]);
      g.beginPath();
      g.arc(cx, cy, k * unit, 0, 2 * Math.PI);
      g.stroke();
      g.globalAlpha = 0.9;
      g.font = `bold ${10 * dpr}px sans-serif`;
      g.fillText(`${k}σ`, cx + k * unit * Math.SQRT1_2 + 2 * dpr,
                 cy - k * unit * Math.SQRT1_2 - 2 * dpr);
    }
    g.setLineDash([]);
    g.globalAlpha = 0.85;
    g.font = `${11 * dpr}px sans-serif`;
    g.textAlign = "right";
    g.fillText(`z${dx} →`, size - 4 * dpr, cy - 5 * dpr);
    g.textAlign = "left";
    g.fillText(`z${dy} ↑`, cx + 5 * dpr, 13 * dpr);
    g.globalAlpha = 1;
    padBackground = { canvas: off, primary: th.primary, bg: th.bg, text: th.text };
    if (S.scatter && S.classNames.length) buildLegend(th);
  }

  function buildLegend(th) {
    if (!legend) {
      legend = document.createElement("div");
      legend.className = "caption legend";
      padWrap.insertBefore(legend, padWrap.querySelector(".pad-caption"));
    }
    legend.replaceChildren(...S.classNames.map((nm, i) => {
      const s = document.createElement("span");
      s.className = "legend-item";
      s.dataset.colour = th.colors[i % th.colors.length];
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = th.colors[i % th.colors.length];
      s.append(swatch, nm);
      return s;
    }));
  }

  function drawPad() {
    if (!S.pad || !padBackground) return;
    const size = padCanvas.width;
    const dpr = window.devicePixelRatio || 1;
    const [dx, dy] = S.pad;
    padCtx.drawImage(padBackground.canvas, 0, 0);
    if (S.hoverIndex !== null && S.scatter) {
      const { mu, dims } = S.scatter;
      padCtx.beginPath();
      padCtx.arc(padToPx(mu[S.hoverIndex * dims + dx], size, false),
                 padToPx(mu[S.hoverIndex * dims + dy], size, true), 5 * dpr, 0, 2 * Math.PI);
      padCtx.lineWidth = 2 * dpr;
      padCtx.strokeStyle = padBackground.text;
      padCtx.stroke();
    }
    const x = padToPx(S.z[dx], size, false);
    const y = padToPx(S.z[dy], size, true);
    padCtx.beginPath();
    padCtx.arc(x, y, 7 * dpr, 0, 2 * Math.PI);
    padCtx.fillStyle = padBackground.primary;
    padCtx.fill();
    padCtx.lineWidth = 2 * dpr;
    padCtx.strokeStyle = padBackground.bg;
    padCtx.stroke();
  }

  function setFromPointer(e) {
    const rect = padCanvas.getBoundingClientRect();
    const [dx, dy] = S.pad;
    const span = padSpan();
    const tx = (e.clientX - rect.left) / rect.width, ty = (e.clientY - rect.top) / rect.height;
    const clamp = (v, r) => Math.min(r[1], Math.max(r[0], v));
    S.z[dx] = clamp(span[0] + tx * (span[1] - span[0]), S.ranges[dx]);
    S.z[dy] = clamp(span[1] - ty * (span[1] - span[0]), S.ranges[dy]);
    syncSliders();
    render();
  }

  // ---- hover a test point on the pad: its image --------------------------------------------
  const HOVER_RADIUS_CSS = 6;
  function nearestPoint(e) {
    if (!S.scatter) return null;
    const rect = padCanvas.getBoundingClientRect();
    const px = e.clientX - rect.left, py = e.clientY - rect.top;
    const [dx, dy] = S.pad;
    const { mu, dims, n } = S.scatter;
    let best = null, bestD = HOVER_RADIUS_CSS * HOVER_RADIUS_CSS;
    for (let i = 0; i < n; i++) {
      const ex = padToPx(mu[i * dims + dx], rect.width, false) - px;
      const ey = padToPx(mu[i * dims + dy], rect.height, true) - py;
      const d2 = ex * ex + ey * ey;
      if (d2 <= bestD) { best = i; bestD = d2; }
    }
    return best;
  }

  function showHover(i) {
    if (i === S.hoverIndex) return;
    S.hoverIndex = i;
    drawPad();
    if (i === null || !S.sprite || !S.sprite.bitmap) {
      hoverCanvas.style.display = "none";
      delete hoverCanvas.dataset.index;
      return;
    }
    const { w, h, cols } = S.sprite;
    const [dx, dy] = S.pad;
    const ctx = hoverCanvas.getContext("2d");
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(S.sprite.bitmap, (i % cols) * w, Math.floor(i / cols) * h, w, h,
                  0, 0, hoverCanvas.width, hoverCanvas.height);
    // beside the point, inside the pad, on the side away from its nearer edges
    const x = padToPx(S.scatter.mu[i * S.scatter.dims + dx], PAD_CSS, false);
    const y = padToPx(S.scatter.mu[i * S.scatter.dims + dy], PAD_CSS, true);
    const W = hoverCanvas.width + 2, H = hoverCanvas.height + 2;
    hoverCanvas.style.left = `${padCanvas.offsetLeft + (x > PAD_CSS / 2 ? x - W - 10 : x + 10)}px`;
    hoverCanvas.style.top = `${padCanvas.offsetTop + (y > PAD_CSS / 2 ? y - H - 10 : y + 10)}px`;
    hoverCanvas.dataset.index = String(i);
    hoverCanvas.style.display = "block";
  }

  padCanvas.addEventListener("pointermove", (e) => {
    if (S.dragging || !S.dec || !S.pad || !hoverToggle.checked) return;
    showHover(nearestPoint(e));
  });
  padCanvas.addEventListener("pointerleave", () => showHover(null));
  hoverToggle.addEventListener("change", () => { if (!hoverToggle.checked) showHover(null); });

  padCanvas.addEventListener("pointerdown", (e) => {
    if (!S.dec || !S.pad) return;
    showHover(null);  // a drag moves z: the image of the point it started on would stay behind
    S.dragging = true;
    padCanvas.setPointerCapture(e.pointerId);
    setFromPointer(e);
  });
  padCanvas.addEventListener("pointermove", (e) => {
    if (S.dragging && S.dec && padCanvas.hasPointerCapture(e.pointerId)) setFromPointer(e);
  });
  const endPadDrag = (e) => {
    if (!padCanvas.hasPointerCapture(e.pointerId)) return;
    padCanvas.releasePointerCapture(e.pointerId);
    S.dragging = false;
    commit(0);
  };
  padCanvas.addEventListener("pointerup", endPadDrag);
  padCanvas.addEventListener("pointercancel", endPadDrag);
  padCanvas.addEventListener("keydown", (e) => {
    if (!S.dec || !S.pad) return;
    const step = e.shiftKey ? 0.25 : 0.05;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, step],
                    ArrowDown: [0, -step] };
    const m = moves[e.key];
    if (!m) return;
    e.preventDefault();
    const [dx, dy] = S.pad;
    S.z[dx] = Math.min(S.ranges[dx][1], Math.max(S.ranges[dx][0], S.z[dx] + m[0]));
    S.z[dy] = Math.min(S.ranges[dy][1], Math.max(S.ranges[dy][0], S.z[dy] + m[1]));
    syncSliders();
    render();
    commit(COMMIT_DELAY_MS * 2);
  });
  window.addEventListener("pointerup", () => {
    if (S.dragging) {
      S.dragging = false;
      if (S.pendingData) { const d = S.pendingData; S.pendingData = null; update(d); }
    }
  });

  function buildPadSelectors(data) {
    const D = data.z.length;
    for (const sel of [padX, padY]) {
      sel.replaceChildren(...data.order.map((d) => new Option(
        `z${d}` + (data.active[d] ? "" : " (inactive)"), String(d))));
    }
    padX.value = String(S.pad[0]);
    padY.value = String(S.pad[1]);
    padX.onchange = () => { S.pad = [Number(padX.value), S.pad[1]]; buildPadBackground(); drawPad(); };
    padY.onchange = () => { S.pad = [S.pad[0], Number(padY.value)]; buildPadBackground(); drawPad(); };
    padWrap.style.display = D >= 2 ? "" : "none";
  }

  // ---- data from Python -------------------------------------------------------------------
  async function update(data) {
    if (S.dragging) { S.pendingData = data; return; }
    if (data.model !== S.modelId) {
      S.dec = null;
      const parsed = await vaeLoadModel(S, data, root, status, "decoder", "decoder");
      if (!parsed) return; // a newer model arrived while waiting
      S.dec = vaeMakeDecoder(parsed);
      const sc = parsed.header.scatter;
      S.scatter = vaeScatter(parsed);
      S.classNames = sc ? sc.class_names : [];
      S.sprite = null;
      S.hoverIndex = null;
      if (sc && sc.sprite) {
        const sprite = { ...sc.sprite, bitmap: null };
        S.sprite = sprite;
        hoverCanvas.width = sprite.w * 4;
        hoverCanvas.height = sprite.h * 4;
        createImageBitmap(new Blob([parsed.u8(sc.sprite.png)], { type: "image/png" }))
          .then((bitmap) => { sprite.bitmap = bitmap; hoverCanvas.dataset.ready = "1"; });
      }
      root.querySelector(".pad-hover-label").style.display = S.sprite ? "" : "none";
      const [c, h, w] = parsed.header.image_shape;
      imageCanvas.width = w;
      imageCanvas.height = h;
      imageCanvas.style.width = data.image_px + "px";
      imageCanvas.style.height = Math.round((data.image_px * h) / w) + "px";
      imageData = imageCtx.createImageData(w, h);
      S.z = new Float64Array(data.z);
      S.rev = null;
      S.layoutKey = null;
    }
    const layoutKey = JSON.stringify([data.order, data.ranges, data.active, data.kl, data.pad,
                                      data.colors]);
    if (data.rev !== S.rev) {
      S.rev = data.rev;
      S.z = new Float64Array(data.z);
    }
    if (layoutKey !== S.layoutKey) {
      S.layoutKey = layoutKey;
      S.ranges = data.ranges;
      S.pad = data.pad;
      S.colors = data.colors || [];
      buildSliders(data);
      if (S.pad) buildPadSelectors(data);
      else padWrap.style.display = "none";
    }
    buildPadBackground();
    syncSliders();
    render();
    root.dataset.ready = "1";
  }

  S.update = update;
  S.setZ = setZ;
  // pixels per unit of z across and up on the pad, as drawn: equal, so rings are circles
  S.padUnits = () => {
    const span = padSpan();
    return [(padToPx(1, padCanvas.width, false) - padToPx(0, padCanvas.width, false)),
            (padToPx(0, padCanvas.height, true) - padToPx(1, padCanvas.height, true))]
      .map((v) => v / (window.devicePixelRatio || 1)).concat([span[1] - span[0]]);
  };
  S.getZ = () => Array.from(S.z);
  S.commit = () => commit(0);
  return S;
}

export default function (component) {
  vaeMount(component, ".vae-explorer", "__explorer", createExplorer, "decoder");
}
