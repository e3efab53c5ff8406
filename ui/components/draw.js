// The Draw component: a canvas at the dataset's resolution, encoded in the browser (decoder_core.js
// and plane.js are prepended to this module). Pointer events paint into a buffer of grey levels
// (0-255, as MNIST's bytes); each animation frame in which it changed runs the encoder on it (mu,
// sigma), moves the input's ellipse over the test set's mu, and decodes mu and z = mu + sigma * eps.
// When a stroke ends (and after undo or clear) the levels, mu and sigma go to Python as the
// component state "drawing". Streamlit calls the default export again whenever `data` changes,
// with the same parentElement, so everything lives on the root element and is updated in place.

const FALLBACK_COLORS = ["#ba8704", "#027aff", "#bf16a2", "#e13849", "#12a46c", "#a576d5",
                         "#a64f6d", "#587003", "#0872ac", "#db7541"];
const DRAW_CSS = 280;
const PAD_CSS = 300;
const TRAIL_MAX = 400;

// A small seeded generator (mulberry32) and Box-Muller: the same eps for a given seed, so the
// decodes of z = mu + sigma * eps move smoothly with mu and sigma while you draw.
function seededNormals(seed, n) {
  let a = (seed >>> 0) + 0x9e3779b9;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(uniform(), 1e-12), v = uniform();
    out[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return out;
}

// Chromium reads performance.now() to 0.1 ms: below that, say so rather than "0.0 ms".
function ms(v) {
  return v < 0.1 ? "< 0.1 ms" : v.toFixed(1) + " ms";
}

function createDraw(root) {
  const S = {
    root, modelId: null, dec: null, enc: null, shape: null, levels: null, base: null, x: null,
    strokes: [], history: [], centred: false, drawing: false, pointerId: null, rafId: 0, dirty: false, rev: null,
    pendingData: null, setStateValue: null, source: "your drawing", cfg: null, eps: null,
    epsSeed: 0, trail: [], renderCount: 0, inputCount: 0, pendingSince: null, lastEncodeMs: 0,
    lastRenderMs: 0, renderLog: null, sent: 0,
  };
  const q = (sel) => root.querySelector(sel);
  const drawCanvas = q("canvas.draw"), padCanvas = q("canvas.pad"), reconCanvas = q("canvas.recon");
  const dimsCanvas = q("canvas.dims"), samplesBox = q(".samples"), readout = q(".readout");
  const status = q(".status"), legend = q(".legend"), sizeLabel = q(".size");
  const drawCaption = q(".draw-caption");
  const undoButton = q("button.undo"), clearButton = q("button.clear");
  const drawCtx = drawCanvas.getContext("2d"), padCtx = padCanvas.getContext("2d");
  const small = document.createElement("canvas");
  const smallCtx = small.getContext("2d");
  let smallData = null, padBackground = null, sampleCanvases = [], sendAfterRender = false;

  function theme() {
    const cs = getComputedStyle(root);
    const get = (name, fallback) => (cs.getPropertyValue(name) || "").trim() || fallback;
    return { text: get("--st-text-color", "#31333f"), bg: get("--st-background-color", "#fff"),
             panel: get("--st-secondary-background-color", "#f0f2f6"),
             primary: get("--st-primary-color", "#ff4b4b") };
  }

  // ---- painting ---------------------------------------------------------------------------
  function stamp(cx, cy) {
    const { core, soft } = S.cfg.brush;
    const [, h, w] = S.shape;
    const r = core + soft;
    const y0 = Math.max(0, Math.floor(cy - r - 0.5)), y1 = Math.min(h - 1, Math.ceil(cy + r - 0.5));
    const x0 = Math.max(0, Math.floor(cx - r - 0.5)), x1 = Math.min(w - 1, Math.ceil(cx + r - 0.5));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
        const v = d <= core ? 1 : Math.max(0, 1 - (d - core) / soft);
        if (v <= 0) continue;
        const level = Math.round(v * 255);
        const i = y * w + x;
        if (level > S.levels[i]) S.levels[i] = level;
      }
    }
  }

  function segment(a, b) {
    const n = Math.max(1, Math.ceil(Math.hypot(b[0] - a[0], b[1] - a[1]) / 0.2));
    for (let k = 1; k <= n; k++) stamp(a[0] + ((b[0] - a[0]) * k) / n, a[1] + ((b[1] - a[1]) * k) / n);
  }

  function repaint() {
    S.levels.set(S.base);
    for (const pts of S.strokes) {
      stamp(pts[0][0], pts[0][1]);
      for (let i = 1; i < pts.length; i++) segment(pts[i - 1], pts[i]);
    }
  }

  function toImage(e) {
    const rect = drawCanvas.getBoundingClientRect();
    const [, h, w] = S.shape;
    return [((e.clientX - rect.left) / rect.width) * w, ((e.clientY - rect.top) / rect.height) * h];
  }

  function markDirty(t) {
    S.inputCount += 1;
    if (S.pendingSince === null) S.pendingSince = t;
    if (!S.rafId) S.rafId = requestAnimationFrame(() => { S.rafId = 0; render(); });
  }

  drawCanvas.addEventListener("pointerdown", (e) => {
    if (!S.enc || (e.pointerType === "mouse" && e.button !== 0)) return;
    e.preventDefault();
    try { drawCanvas.setPointerCapture(e.pointerId); } catch (_) { /* a synthetic event */ }
    S.drawing = true;
    S.pointerId = e.pointerId;
    const p = toImage(e);
    S.strokes.push([p]);
    S.trail = [];
    stamp(p[0], p[1]);
    markDirty(e.timeStamp);
  });
  drawCanvas.addEventListener("pointermove", (e) => {
    if (!S.drawing || e.pointerId !== S.pointerId) return;
    const pts = S.strokes[S.strokes.length - 1];
    const events = (e.getCoalescedEvents && e.getCoalescedEvents()) || [];
    for (const ev of events.length ? events : [e]) {
      const p = toImage(ev);
      segment(pts[pts.length - 1], p);
      pts.push(p);
    }
    markDirty(e.timeStamp);
  });
  const endStroke = (e) => {
    if (!S.drawing || e.pointerId !== S.pointerId) return;
    S.drawing = false;
    S.source = "your drawing";
    send();
    if (S.pendingData) { const d = S.pendingData; S.pendingData = null; update(d); }
  };
  drawCanvas.addEventListener("pointerup", endStroke);
  drawCanvas.addEventListener("pointercancel", endStroke);
  drawCanvas.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z") { e.preventDefault(); undo(); }
  });

  function undo() {
    if (!S.enc) return;
    if (S.strokes.length) {
      S.strokes.pop();
    } else if (S.history.length) {  // Python replaced the pixels (a centring): back to before it
      const before = S.history.pop();
      S.base.set(before.base);
      S.strokes = before.strokes;
      S.source = before.source;
      S.centred = false;
    } else {
      return;
    }
    repaint();
    S.trail = [];
    markDirty(performance.now());
    send();
  }

  function clear() {
    if (!S.enc) return;
    S.strokes = [];
    S.history = [];
    S.centred = false;
    S.base.fill(0);
    repaint();
    S.trail = [];
    S.source = "your drawing";
    markDirty(performance.now());
    send();
  }

  undoButton.addEventListener("click", undo);
  clearButton.addEventListener("click", clear);
  q("button.resample").addEventListener("click", () => {
    if (!S.enc) return;
    S.epsSeed += 1;
    S.eps = seededNormals(S.epsSeed, S.cfg.n_samples * S.dec.header.latent_dim);
    render();
  });

  // The drawing (and the browser's mu and sigma of it) to Python: a rerun, after the stroke.
  function send() {
    if (S.rafId) { cancelAnimationFrame(S.rafId); S.rafId = 0; }
    render();
    S.sent += 1;
    if (S.setStateValue) {
      S.setStateValue("drawing", { model: S.modelId, pixels: Array.from(S.levels),
                                   mu: Array.from(S.enc.mu), sigma: Array.from(S.enc.sigma),
                                   source: S.source, n: S.sent });
    }
  }

  // ---- encoding and drawing ---------------------------------------------------------------
  function putImage(canvas, mean) {
    const ctx = canvas.getContext("2d");
    const [c, h, w] = S.shape;
    const img = ctx.createImageData(w, h);
    const plane = h * w;
    for (let i = 0; i < plane; i++) {
      for (let ch = 0; ch < 3; ch++) {
        const m = mean[(c === 3 ? ch * plane : 0) + i];
        img.data[4 * i + ch] = Math.floor(Math.min(1, Math.max(0, m)) * 255 + 0.5);
      }
      img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }

  function encodeNow() {
    for (let i = 0; i < S.x.length; i++) S.x[i] = S.levels[i] / 255;
    return S.enc.encode(S.x);
  }

  function render() {
    if (!S.enc) return;
    const t0 = performance.now();
    const { mu, sigma } = encodeNow();
    const t1 = performance.now();
    const D = mu.length;
    putImage(reconCanvas, S.dec.decode(mu));
    const z = new Float64Array(D);
    for (let k = 0; k < sampleCanvases.length; k++) {
      for (let d = 0; d < D; d++) z[d] = mu[d] + sigma[d] * S.eps[k * D + d];
      putImage(sampleCanvases[k], S.dec.decode(z));
    }
    if (S.drawing && S.cfg.pad) {
      S.trail.push([mu[S.cfg.pad[0]], mu[S.cfg.pad[1]]]);
      if (S.trail.length > TRAIL_MAX) S.trail.shift();
    }
    drawInput();
    drawPad();
    drawDims();
    writeReadout();
    const t2 = performance.now();
    S.lastEncodeMs = t1 - t0;
    S.lastRenderMs = t2 - t0;
    if (S.renderLog && S.pendingSince !== null) {
      S.renderLog.push({ since: S.pendingSince, at: t2, encode: S.lastEncodeMs, render: S.lastRenderMs });
    }
    S.pendingSince = null;
    S.renderCount += 1;
    undoButton.disabled = S.strokes.length === 0 && S.history.length === 0;
    status.textContent = `${S.enc.summary} encoder and its decoder run here · ` +
      `${((S.enc.weightBytes + S.dec.weightBytes) / 1024).toFixed(0)} KB of float32 weights, sent ` +
      `once per model · encode ${ms(S.lastEncodeMs)}, encode + ` +
      `${1 + sampleCanvases.length} decodes + drawing ${ms(S.lastRenderMs)}`;
  }

  // Where the dashed box sits, in pixels. Centred like the dataset, the ink fills the box and then
  // moves with its centre of mass (MNIST's rule), so the box is drawn around the ink, not in the
  // middle: the digit stays inside the square it was fitted to.
  function boxOrigin(box) {
    const [, h, w] = S.shape;
    const middle = (w - box) / 2;
    if (!S.centred) return [middle, (h - box) / 2];
    let top = h, bottom = -1, left = w, right = -1;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (S.base[y * w + x] > 0) {
          top = Math.min(top, y); bottom = Math.max(bottom, y);
          left = Math.min(left, x); right = Math.max(right, x);
        }
      }
    }
    if (bottom < 0) return [middle, (h - box) / 2];
    const clamp = (v, n) => Math.min(Math.max(v, 0), n - box);
    return [clamp(Math.round((left + right + 1 - box) / 2), w),
            clamp(Math.round((top + bottom + 1 - box) / 2), h)];
  }

  function drawInput() {
    const [, h, w] = S.shape;
    const px = smallData.data;
    for (let i = 0; i < h * w; i++) {
      px[4 * i] = px[4 * i + 1] = px[4 * i + 2] = S.levels[i];
      px[4 * i + 3] = 255;
    }
    smallCtx.putImageData(smallData, 0, 0);
    const size = drawCanvas.width;
    drawCtx.imageSmoothingEnabled = false;
    drawCtx.drawImage(small, 0, 0, size, size);
    const dpr = window.devicePixelRatio || 1;
    const cell = size / w;
    const box = S.cfg.guide.box;
    drawCtx.save();
    drawCtx.strokeStyle = "rgba(120, 170, 255, 0.55)";
    drawCtx.lineWidth = dpr;
    if (box < w) {
      drawCtx.setLineDash([5 * dpr, 4 * dpr]);
      const [ox, oy] = boxOrigin(box);
      drawCtx.strokeRect(ox * cell, oy * cell, box * cell, box * cell);
      drawCtx.setLineDash([]);
    }
    const c = size / 2, arm = 5 * dpr;
    drawCtx.beginPath();
    drawCtx.moveTo(c - arm, c); drawCtx.lineTo(c + arm, c);
    drawCtx.moveTo(c, c - arm); drawCtx.lineTo(c, c + arm);
    drawCtx.stroke();
    drawCtx.restore();
  }

  // ---- the pad: scatter, prior, and the input's Gaussian ----------------------------------
  function padPx(v, flip) {
    return vaePlaneToPx(v, S.cfg.range[0], S.cfg.range[1], padCanvas.width, flip);
  }

  function buildPadBackground() {
    if (!S.cfg.pad) return;
    const dpr = window.devicePixelRatio || 1;
    const size = Math.round(PAD_CSS * dpr);
    padCanvas.width = size;
    padCanvas.height = size;
    const off = document.createElement("canvas");
    off.width = size;
    off.height = size;
    const g = off.getContext("2d");
    const th = theme();
    const colors = S.cfg.colors && S.cfg.colors.length ? S.cfg.colors : FALLBACK_COLORS;
    const [dx, dy] = S.cfg.pad;
    g.fillStyle = th.panel;
    g.fillRect(0, 0, size, size);
    if (S.scatter) {
      vaeDrawScatter(g, S.scatter, dx, dy, padPx, colors, 0.5, 1.7 * dpr);
      g.globalAlpha = 1;
    }
    const [lo, hi] = S.cfg.range;
    const unit = size / (hi - lo);
    const cx = padPx(0, false), cy = padPx(0, true);
    g.strokeStyle = "rgba(128, 128, 128, 0.9)";
    g.lineWidth = dpr;
    for (const k of [1, 2, 3]) {
      g.setLineDash([5 * dpr, 4 * dpr]);  // dashed as on every plane and legend of the prior
      g.beginPath();
      g.arc(cx, cy, k * unit, 0, 2 * Math.PI);
      g.stroke();
    }
    g.setLineDash([]);
    g.globalAlpha = 0.3;
    g.beginPath();
    g.moveTo(cx, 0); g.lineTo(cx, size); g.moveTo(0, cy); g.lineTo(size, cy);
    g.stroke();
    g.globalAlpha = 0.85;
    g.fillStyle = th.text;
    g.font = `${11 * dpr}px sans-serif`;
    g.fillText(`z${dx} →`, size - 40 * dpr, cy - 5 * dpr);
    g.fillText(`z${dy} ↑`, cx + 5 * dpr, 13 * dpr);
    g.fillText(`${lo} … ${hi} on both axes`, 6 * dpr, size - 6 * dpr);
    g.globalAlpha = 1;
    padBackground = { canvas: off, th };
    legend.replaceChildren(...(S.classNames || []).map((nm, i) => {
      const s = document.createElement("span");
      s.innerHTML = `<span style="display:inline-block;width:8px;height:8px;border-radius:50%;` +
        `background:${colors[i % colors.length]};margin-right:3px"></span>`;
      s.append(nm);
      return s;
    }));
  }

  function drawPad() {
    if (!S.cfg.pad || !padBackground) return;
    const dpr = window.devicePixelRatio || 1;
    const [dx, dy] = S.cfg.pad;
    const { mu, sigma } = S.enc;
    const size = padCanvas.width;
    const unit = size / (S.cfg.range[1] - S.cfg.range[0]);
    const th = padBackground.th;
    padCtx.drawImage(padBackground.canvas, 0, 0);
    const x = padPx(mu[dx], false), y = padPx(mu[dy], true);
    if (S.trail.length > 1) {
      padCtx.save();
      padCtx.strokeStyle = th.text;
      padCtx.globalAlpha = 0.55;
      padCtx.lineWidth = 1.5 * dpr;
      padCtx.beginPath();
      S.trail.forEach(([a, b], i) => {
        const px = padPx(a, false), py = padPx(b, true);
        if (i) padCtx.lineTo(px, py); else padCtx.moveTo(px, py);
      });
      padCtx.stroke();
      padCtx.restore();
    }
    padCtx.save();
    padCtx.fillStyle = th.primary;
    padCtx.strokeStyle = th.primary;
    padCtx.globalAlpha = 0.28;
    padCtx.beginPath();
    padCtx.ellipse(x, y, Math.max(sigma[dx] * unit, 0.5), Math.max(sigma[dy] * unit, 0.5), 0, 0, 2 * Math.PI);
    padCtx.fill();
    padCtx.globalAlpha = 1;
    padCtx.lineWidth = 1.5 * dpr;
    padCtx.stroke();
    padCtx.setLineDash([4 * dpr, 3 * dpr]);
    padCtx.beginPath();
    padCtx.ellipse(x, y, Math.max(2 * sigma[dx] * unit, 1), Math.max(2 * sigma[dy] * unit, 1), 0, 0, 2 * Math.PI);
    padCtx.stroke();
    padCtx.setLineDash([]);
    padCtx.beginPath();
    padCtx.arc(x, y, 5 * dpr, 0, 2 * Math.PI);
    padCtx.fill();
    padCtx.lineWidth = 2 * dpr;
    padCtx.strokeStyle = th.bg;
    padCtx.stroke();
    padCtx.restore();
  }

  // Every dim (up to 16, by KL): the prior's +-2 band, mu and mu +- 2 sigma.
  function drawDims() {
    const D = S.enc.mu.length;
    if (D <= 2) { dimsCanvas.style.display = "none"; return; }
    const dpr = window.devicePixelRatio || 1;
    const order = S.cfg.order;
    const rowH = 14, labelW = 34, cssW = 260, cssH = rowH * order.length + 16;
    dimsCanvas.style.display = "";
    dimsCanvas.style.height = cssH + "px";
    if (dimsCanvas.width !== cssW * dpr || dimsCanvas.height !== cssH * dpr) {
      dimsCanvas.width = cssW * dpr;
      dimsCanvas.height = cssH * dpr;
    }
    const g = dimsCanvas.getContext("2d");
    const th = theme();
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, cssW, cssH);
    const lo = -4, hi = 4, span = cssW - labelW - 4;
    const X = (v) => labelW + ((Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * span;
    g.font = "10px sans-serif";
    g.fillStyle = th.text;
    g.globalAlpha = 0.7;
    g.fillText("−4", X(-4), cssH - 3);
    g.fillText("0", X(0) - 3, cssH - 3);
    g.fillText("+4", X(4) - 12, cssH - 3);
    order.forEach((d, r) => {
      const y = r * rowH + rowH / 2;
      g.globalAlpha = 0.8;
      g.fillStyle = th.text;
      g.fillText("z" + d, 2, y + 4);
      g.globalAlpha = 0.22;
      g.fillStyle = "rgb(128,128,128)";
      g.fillRect(X(-2), y - 4, X(2) - X(-2), 8);
      g.globalAlpha = 1;
      g.strokeStyle = th.primary;
      g.lineWidth = 2;
      g.beginPath();
      g.moveTo(X(S.enc.mu[d] - 2 * S.enc.sigma[d]), y);
      g.lineTo(X(S.enc.mu[d] + 2 * S.enc.sigma[d]), y);
      g.stroke();
      g.fillStyle = th.primary;
      g.beginPath();
      g.arc(X(S.enc.mu[d]), y, 3, 0, 2 * Math.PI);
      g.fill();
    });
  }

  function writeReadout() {
    const { mu, sigma, logvar } = S.enc;
    const D = mu.length;
    let kl = 0;
    for (let d = 0; d < D; d++) kl += 0.5 * (mu[d] * mu[d] + Math.exp(logvar[d]) - 1 - logvar[d]);
    const shown = D <= 4 ? [...Array(D).keys()] : (S.cfg.pad || [0]);
    const lines = shown.map((d) => `z${d}: μ ${vaeSigned(mu[d])}  σ ${sigma[d].toFixed(3)}`);
    if (D > 4) {
      const n = S.cfg.order.length;
      lines.push(n < D ? `(the pad's two dims; the ${n} with the most KL below)`
                       : `(the pad's two dims; all ${D} below)`);
    }
    lines.push(`KL(q(z|x) ‖ N(0, I)) = ${kl.toFixed(2)} nats`);
    readout.textContent = lines.join("\n");
    S.kl = kl;
  }

  // ---- data from Python -------------------------------------------------------------------
  async function update(data) {
    if (S.drawing) { S.pendingData = data; return; }
    if (data.model !== S.modelId) {
      S.enc = null;
      const parsed = await vaeLoadModel(S, data, root, status, "encoder", "model");
      if (!parsed) return; // a newer model arrived while waiting
      S.dec = vaeMakeDecoder(parsed);
      const enc = vaeMakeEncoder(parsed);
      S.scatter = vaeScatter(parsed);
      S.classNames = parsed.header.scatter ? parsed.header.scatter.class_names : [];
      S.shape = parsed.header.image_shape;
      const [c, h, w] = S.shape;
      S.levels = new Uint8Array(h * w);
      S.base = new Uint8Array(h * w);
      S.x = new Float32Array(c * h * w);
      small.width = w;
      small.height = h;
      smallData = smallCtx.createImageData(w, h);
      const dpr = window.devicePixelRatio || 1;
      drawCanvas.width = drawCanvas.height = Math.round(DRAW_CSS * dpr);
      reconCanvas.width = w;
      reconCanvas.height = h;
      sampleCanvases = [];
      samplesBox.replaceChildren();
      for (let k = 0; k < data.n_samples; k++) {
        const cv = document.createElement("canvas");
        cv.width = w;
        cv.height = h;
        cv.setAttribute("aria-label", `decode of z = mu + sigma * eps, draw ${k + 1}`);
        samplesBox.append(cv);
        sampleCanvases.push(cv);
      }
      sizeLabel.textContent = `· ${w}×${h} pixels, as the model sees it`;
      S.rev = null;
      S.strokes = [];
      S.epsSeed = data.eps_seed;
      S.eps = seededNormals(S.epsSeed, data.n_samples * parsed.header.latent_dim);
      // Run both networks a few times before the first stroke, so the JIT has compiled them
      // by the time the pen is down (the first, cold call is slow).
      for (let k = 0; k < 3; k++) S.dec.decode(enc.encode(S.x).mu);
      S.enc = enc;
    }
    S.cfg = data;
    if (data.rev !== S.rev) {
      const replacing = S.rev !== null && data.base && S.levels.some((v) => v > 0);
      if (replacing) {  // what was on the canvas, so that Undo can bring it back
        S.history.push({ base: S.base.slice(), strokes: S.strokes, source: S.source });
      } else {
        S.history = [];
      }
      S.rev = data.rev;
      S.centred = (data.source || "").endsWith("centred");
      S.base.fill(0);
      if (data.base && data.base.length === S.base.length) S.base.set(data.base);
      S.strokes = [];
      S.trail = [];
      S.source = data.source || "your drawing";
      repaint();
      // Python put these pixels here (an upload, a centring, a return to the page): tell it what
      // the browser's encoder makes of them, so the page can set torch's numbers beside them.
      if (data.base) sendAfterRender = true;
    }
    const [, , w] = S.shape;
    const g = data.guide;
    drawCaption.textContent = g.box < w
      ? `The dashed square is the ${g.box}×${g.box} box ${g.centre === "mass" ? "the dataset's " +
        "digits fill; their centre of mass sits on the cross" : "the dataset's images fill"}. ` +
        "Draw with the mouse, a finger or a pen."
      : "The dataset's images fill the frame, centred on the cross. Draw with the mouse, a finger " +
        "or a pen.";
    buildPadBackground();
    render();
    root.dataset.ready = "1";
    if (sendAfterRender) { sendAfterRender = false; send(); }
  }

  S.update = update;
  // For tests and the benchmark: put grey levels (or [0, 1] floats) on the canvas, encode them
  // now, and return what the browser computed.
  S.setPixels = (values, asLevels) => {
    S.strokes = [];
    S.trail = [];
    for (let i = 0; i < S.base.length; i++) {
      S.base[i] = asLevels ? values[i] : Math.round(Math.min(1, Math.max(0, values[i])) * 255);
    }
    repaint();
    render();
    return S.posterior();
  };
  S.posterior = () => ({ mu: Array.from(S.enc.mu), sigma: Array.from(S.enc.sigma), kl: S.kl,
                         recon: Array.from(S.dec.decode(S.enc.mu)) });
  S.encodeFloats = (values) => {  // the encoder on any floats, bypassing the 256 grey levels
    const r = S.enc.encode(Float32Array.from(values));
    return { mu: Array.from(r.mu), sigma: Array.from(r.sigma) };
  };
  S.levelsArray = () => Array.from(S.levels);
  S.guideBox = () => [...boxOrigin(S.cfg.guide.box), S.cfg.guide.box];
  S.send = send;
  return S;
}

export default function (component) {
  vaeMount(component, ".vae-draw", "__draw", createDraw, "encoder");
}
