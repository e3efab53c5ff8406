// Hover a point of a Plotly chart, see its image: the sprite sheet (a PNG) arrives once as raw
// bytes with a small JSON header; the tile of the hovered point (customdata[0] is its index) is
// drawn beside the cursor. No markup of its own: the tooltip is a fixed-position canvas on <body>.

function spriteCache() {
  if (!window.__vaeSprites) window.__vaeSprites = new Map();
  return window.__vaeSprites;
}

function parse(data) {
  const u8 = data instanceof Uint8Array ? data : new Uint8Array(data);
  const n = new DataView(u8.buffer, u8.byteOffset, u8.byteLength).getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(u8.subarray(8, 8 + n)));
  return { header, png: u8.slice(8 + n) };
}

function loadSprite(header, png) {
  const cache = spriteCache();
  if (!cache.has(header.id)) {
    cache.set(header.id, createImageBitmap(new Blob([png], { type: "image/png" })));
  }
  return cache.get(header.id);
}

function makeTooltip(header, parentElement) {
  // parentElement is a shadow root when styles are isolated: the theme's variables are on its host
  const cs = getComputedStyle(parentElement.host || parentElement);
  const border = (cs.getPropertyValue("--st-border-color") || "").trim() || "#888";
  const canvas = document.createElement("canvas");
  canvas.className = "vae-hover-image";
  canvas.dataset.target = header.target;
  canvas.width = header.w * header.scale;
  canvas.height = header.h * header.scale;
  Object.assign(canvas.style, {
    position: "fixed", left: "0px", top: "0px", display: "none", zIndex: 1000,
    pointerEvents: "none", imageRendering: "pixelated", background: "#000",
    border: `1px solid ${border}`, borderRadius: "4px", boxShadow: "0 2px 8px rgba(0,0,0,0.35)",
  });
  document.body.append(canvas);
  return canvas;
}

function setup(parentElement, header, png) {
  const S = { header, gd: null, bitmap: null, observer: null, tooltip: null, hovered: null };
  S.tooltip = makeTooltip(header, parentElement);
  const ctx = S.tooltip.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  loadSprite(header, png).then((bitmap) => {
    S.bitmap = bitmap;
    S.tooltip.dataset.ready = "1";
    if (S.hovered) S.show(S.hovered.index, S.hovered.x, S.hovered.y);
  });

  S.show = (index, x, y) => {
    S.hovered = { index, x, y };
    if (!S.bitmap || !(index >= 0 && index < header.n)) return;
    const { w, h, cols, scale } = header;
    ctx.drawImage(S.bitmap, (index % cols) * w, Math.floor(index / cols) * h, w, h,
                  0, 0, w * scale, h * scale);
    const W = w * scale + 2, H = h * scale + 2, gap = 14;
    // Above and to the left of the cursor, clear of Plotly's own label (centred on the point's
    // height, opening to the right, or to the left near the right edge).
    let left = x - W - gap, top = y - H - 2 * gap;
    if (left < 4) left = x + gap;
    if (top < 4) top = y + gap;
    S.tooltip.style.left = `${left}px`;
    S.tooltip.style.top = `${top}px`;
    S.tooltip.dataset.index = String(index);
    S.tooltip.style.display = "block";
  };
  S.hide = () => {
    S.hovered = null;
    S.tooltip.style.display = "none";
    delete S.tooltip.dataset.index;
  };
  S.onHover = (ev) => {
    const pt = ev && ev.points && ev.points.find((p) => p.customdata !== undefined);
    if (!pt) return;
    const cd = pt.customdata;
    const index = Number(Array.isArray(cd) || ArrayBuffer.isView(cd) ? cd[0] : cd);
    const e = ev.event || {};
    S.show(index, e.clientX || 0, e.clientY || 0);
  };

  // The chart may mount after this component, and Streamlit may replace its element on a rerun:
  // attach to whichever graph div carries the key now.
  S.attach = () => {
    const gd = document.querySelector(`.st-key-${CSS.escape(header.target)} .js-plotly-plot`);
    if (gd === S.gd || !gd || typeof gd.on !== "function") return;
    S.detach();
    S.gd = gd;
    gd.on("plotly_hover", S.onHover);
    gd.on("plotly_unhover", S.hide);
    gd.dataset.hoverImages = "1";
  };
  S.detach = () => {
    if (S.gd && S.gd.removeListener) {
      S.gd.removeListener("plotly_hover", S.onHover);
      S.gd.removeListener("plotly_unhover", S.hide);
      delete S.gd.dataset.hoverImages;
    }
    S.gd = null;
  };
  S.observer = new MutationObserver(() => S.attach());
  S.observer.observe(document.body, { childList: true, subtree: true });
  S.attach();
  S.teardown = () => {
    S.observer.disconnect();
    S.detach();
    S.tooltip.remove();
  };
  return S;
}

export default function ({ data, parentElement }) {
  if (!data || !data.byteLength) return;
  const { header, png } = parse(data);
  // Whether Streamlit cleans up between renders or only on unmount, tear down what is current.
  const cleanup = () => {
    const current = parentElement.__vaeHover;
    if (current) current.teardown();
    delete parentElement.__vaeHover;
  };
  const old = parentElement.__vaeHover;
  if (old && old.header.id === header.id && old.header.target === header.target &&
      old.header.scale === header.scale) {
    old.attach();
    return cleanup;
  }
  if (old) old.teardown();
  parentElement.__vaeHover = setup(parentElement, header, png);
  return cleanup;
}
