// The exported demo's page: draws the Plotly figures in the system's light or dark scheme, files
// the model's payload where the dashboard's components look for it (decoder_core.js's registry),
// mounts the latent explorer, the Draw canvas and the hover images (the dashboard's own
// components, inlined before this script), and runs the KL calculator. Nothing is fetched: every
// byte comes from elements of this file.
(function () {
  performance.mark("export:start");
  const DATA = JSON.parse(document.getElementById("export-data").textContent);
  const state = { charts: 0, chartsDrawn: 0, drawnAt: null, errors: [] };
  window.__export = state;

  function bytesOf(id) {
    const s = atob(document.getElementById(id).textContent.trim());
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }

  // float16 bits to a number (IEEE 754 half: 1 sign, 5 exponent, 10 fraction bits)
  function half(h) {
    const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
    if (e === 0) return s * f * 2 ** -24;
    if (e === 31) return f ? NaN : s * Infinity;
    return s * (1 + f / 1024) * 2 ** (e - 15);
  }

  // The payload as the dashboard sends it: the weights that travel as float16 widened back to
  // float32 (exactly: every one of them was a float16 value), at the offsets the header names.
  function widen(packed, halves) {
    if (!halves.length) return packed;
    const n = new DataView(packed.buffer, packed.byteOffset).getUint32(4, true);
    const base = 8 + n;
    const extra = halves.reduce((a, r) => a + 2 * r[1], 0);
    const out = new Uint8Array(packed.length + extra);
    out.set(packed.subarray(0, base));
    const view = new DataView(out.buffer);
    const src = new DataView(packed.buffer, packed.byteOffset);
    let from = base, to = base, pos = 0;  // pos: offset in the float32 body
    for (const [offset, count] of halves) {
      const gap = offset - pos;
      out.set(packed.subarray(from, from + gap), to);
      from += gap; to += gap;
      for (let i = 0; i < count; i++) view.setFloat32(to + 4 * i, half(src.getUint16(from + 2 * i, true)), true);
      from += 2 * count; to += 4 * count; pos = offset + 4 * count;
    }
    out.set(packed.subarray(from), to);
    return out;
  }

  // ---- the figures, in the system's scheme ------------------------------------------------
  const dark = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  function scheme() { return dark && dark.matches ? "dark" : "light"; }

  function themed(layout) {
    const t = DATA.themes[scheme()];
    const out = { ...layout, font: { ...(layout.font || {}), color: t.font.color },
                  paper_bgcolor: t.paper_bgcolor, plot_bgcolor: t.plot_bgcolor };
    for (const key of Object.keys(out)) {
      if (/^[xy]axis\d*$/.test(key)) {
        out[key] = { ...out[key], gridcolor: t.grid, zerolinecolor: t.grid, linecolor: t.grid };
      }
    }
    if (out.legend) out.legend = { ...out.legend, bgcolor: "rgba(0,0,0,0)" };
    if (out.hoverlabel === undefined) out.hoverlabel = {};
    return out;
  }

  const CONFIG = { displaylogo: false, responsive: true, typesetMath: false,
                   toImageButtonOptions: { format: "png", scale: 2, filename: DATA.name } };

  async function drawCharts() {
    const jobs = [];
    for (const [key, fig] of Object.entries(DATA.figures)) {
      const el = document.getElementById("chart-" + key);
      if (!el) continue;
      state.charts += 1;
      jobs.push(Plotly.newPlot(el, fig.data, themed(fig.layout), CONFIG).then(() => {
        state.chartsDrawn += 1;
        el.dataset.drawn = "1";
      }));
    }
    await Promise.all(jobs);
    state.drawnAt = performance.now();
    document.body.dataset.charts = "drawn";
  }

  function retheme() {
    for (const [key, fig] of Object.entries(DATA.figures)) {
      const el = document.getElementById("chart-" + key);
      if (el && el.dataset.drawn) Plotly.relayout(el, themed(fig.layout));
    }
    // the components read the theme's colours when they (re)draw their canvases
    if (state.explorer) state.explorer.update(DATA.explorer);
    if (state.draw) state.draw.update(DATA.draw);
    const kl = document.querySelector("#kl-calc .vae-kl");
    if (kl && kl.__kl) kl.__kl.redraw();
  }
  if (dark && dark.addEventListener) dark.addEventListener("change", retheme);

  // ---- the live parts: the dashboard's own components -------------------------------------
  function mountComponents() {
    const payload = widen(bytesOf("model-payload"), DATA.halves);
    const reg = vaeRegistry();
    reg.payloads.set(DATA.explorer.model, payload);
    window.__vaeMount.explorer({ data: DATA.explorer, parentElement: document.getElementById("explorer"),
                                 setStateValue: null });
    state.explorer = document.querySelector("#explorer .vae-explorer").__explorer;
    if (DATA.draw) {
      window.__vaeMount.draw({ data: DATA.draw, parentElement: document.getElementById("draw"),
                               setStateValue: null });
      state.draw = document.querySelector("#draw .vae-draw").__draw;
    }
  }

  // ---- the KL calculator: the dashboard's own component (kl_calculator.js) ------------------
  // start from this run's story image, its dim with the most KL
  function mountKL() {
    const story = DATA.story;
    let m = 1, s = 0.5;
    if (story) {
      let best = 0;
      story.kl_per_dim.forEach((v, d) => { if (v > story.kl_per_dim[best]) best = d; });
      m = Math.max(-4, Math.min(4, story.mu[best]));
      s = Math.max(0.05, Math.min(3, story.sigma[best]));
    }
    window.__vaeMount.kl({ parentElement: document.getElementById("kl-calc"), setStateValue: null,
                           data: { mu: m, sigma: s, rev: 0, mu_range: [-4, 4],
                                   sigma_range: [0.05, 3], step: 0.01 } });
  }

  // ---- go ---------------------------------------------------------------------------------
  try { mountComponents(); } catch (err) { state.errors.push(String(err)); }
  performance.mark("export:components");
  try { mountKL(); } catch (err) { state.errors.push(String(err)); }
  drawCharts().then(() => {
    const host = document.getElementById("hover-host");
    try {
      window.__vaeMount.hover({ data: bytesOf("hover-payload"), parentElement: host });
    } catch (err) { state.errors.push(String(err)); }
  }).catch((err) => { state.errors.push(String(err)); });
})();
