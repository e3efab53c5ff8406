// What the SVG components share (prepended to each): escaping words for markup, numbers with a
// true minus sign, the picture saved as an .svg file, the frame around it (title, download, hover
// tip, redraw on resize, mounting), and a legend's items placed in rows.

const SVG_NS = "http://www.w3.org/2000/svg";
// a tick's words, and a grid line (stronger at zero, as Plotly's zero line), in the page's colour
const SVG_TICK = `fill="currentColor" fill-opacity="0.7"`;
const svgRule = (v) => `stroke="currentColor" stroke-opacity="${v === 0 ? 0.35 : 0.12}"`;

function esc(s) {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function num(v, digits) {
  return (v < 0 ? "−" : "") + Math.abs(v).toFixed(digits);
}

// The picture as an .svg file: the SVG with the page's text colour and font written into it,
// the title above the plot, and a background (transparent text on a dark page would vanish).
function svgDownload(root, svg, title, filename) {
  const cs = getComputedStyle(root);
  const box = svg.viewBox.baseVal;
  const clone = svg.cloneNode(true);
  const inner = clone.innerHTML;
  clone.setAttribute("xmlns", SVG_NS);
  clone.setAttribute("width", String(box.width));
  clone.setAttribute("height", String(box.height + 28));
  clone.setAttribute("viewBox", `0 0 ${box.width} ${box.height + 28}`);
  clone.setAttribute("style", `color: ${cs.color}; font-family: ${cs.fontFamily}; font-size: ${cs.fontSize}`);
  const bg = cs.getPropertyValue("--st-background-color").trim() || "#ffffff";
  clone.innerHTML = `<rect width="100%" height="100%" fill="${bg}"/>` +
    `<text fill="currentColor" x="8" y="18" font-size="15" font-weight="700">${esc(title)}</text>` +
    `<g transform="translate(0 28)">${inner}</g>`;
  const blob = new Blob([new XMLSerializer().serializeToString(clone)], { type: "image/svg+xml" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}


// The frame around one picture in `root` (z_cloud.html's markup): its title and "Download SVG",
// a redraw when the width changes, and a hover tip with the words `tipText(event, data)` gives
// (null: no tip). `draw(data, width)` fills the SVG. Returns { svg, tip, data, update(data) }.
function svgPicture(root, draw, tipText) {
  const svg = root.querySelector("svg.plane"), title = root.querySelector(".title span");
  const tip = root.querySelector(".tip");
  const P = { svg, tip, data: null, setTriggerValue: null };
  let width = 0;
  function redraw() {
    const d = P.data;
    if (!d) return;
    width = root.clientWidth || 500;
    // a view's own size of words (Presenter's large type), else the stylesheet's 12 px
    root.style.fontSize = d.font_size ? `${d.font_size}px` : "";
    title.parentElement.style.fontSize = d.font_size ? `${d.font_size + 4}px` : "";
    svg.setAttribute("aria-label", d.label || d.title);
    draw(d, width);
    title.textContent = d.title;
    if (d.mu) root.dataset.mu = d.mu.map((v) => v.toFixed(4)).join(",");
    root.dataset.ready = "1";
  }
  root.querySelector(".title button").addEventListener("click", () => {
    if (P.data) svgDownload(root, svg, P.data.title || P.data.label || "", P.data.filename);
  });
  svg.addEventListener("pointermove", (e) => {
    const text = P.data ? tipText(e, P.data) : null;
    if (text === null) { tip.hidden = true; return; }
    tip.textContent = text;
    tip.hidden = false;
    const box = root.getBoundingClientRect();
    tip.style.left = `${Math.max(0, Math.min(e.clientX - box.left + 12, box.width - tip.offsetWidth))}px`;
    tip.style.top = `${e.clientY - box.top + 14}px`;
  });
  svg.addEventListener("pointerleave", () => { tip.hidden = true; });
  if (window.ResizeObserver) {
    new ResizeObserver(() => { if (root.clientWidth !== width) redraw(); }).observe(root);
  }
  P.update = (data) => { P.data = data; redraw(); };
  return P;
}

const LEGEND_ROW = 22;  // px per row of a legend under a plot

// Place the legend's items in rows `row` px apart from (left, top), within `avail` px: the classes
// on a grid of one column width (the widest name), then the other items each as wide as its
// words. Returns the legend's height.
function svgPlaceLegend(svg, left, top, avail, row = LEGEND_ROW) {
  const items = [...svg.querySelectorAll(".legend .item")];
  const width = (g) => {
    const t = g.querySelector("text");
    const w = t.getComputedTextLength ? t.getComputedTextLength() : 0;
    return 38 + (w || 6.5 * t.textContent.length) + 16;  // the swatch, the words, a gap
  };
  const widths = items.map(width);
  const classW = Math.max(0, ...widths.filter((_, k) => items[k].dataset.class));
  let x = 0, y = 0;
  items.forEach((g, k) => {
    const isClass = !!g.dataset.class, w = isClass ? classW : widths[k];
    if (x > 0 && x + w > avail) { x = 0; y += row; }
    g.setAttribute("transform", `translate(${left + x} ${top + y})`);
    x += w;
  });
  return items.length ? y + row : 0;
}

// A component's default export: the picture made once per element by `create(root)`, then given
// each new `data` Streamlit sends.
function svgMount(component, create) {
  const { data, parentElement, setTriggerValue } = component;
  const root = parentElement.querySelector(".vae-zc");
  if (!root || !data) return;
  if (!root.__picture) root.__picture = create(root);
  root.__picture.setTriggerValue = setTriggerValue;
  root.__picture.update(data);
}
