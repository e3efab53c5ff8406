// The z cloud: §2's zoom on one input's q(z|x), drawn as one SVG in the browser. Python sends
// plain numbers (ui.figures.explain.zoom_view): the faint test codes inside the square ranges, the
// prior's 1-sigma circle, mu and its 1-sigma ellipse, and every z drawn. Streamlit calls the
// default export again with each new `data` (a "Sample eps" click), and the element stays: the
// picture is redrawn in place, where a Plotly chart would be sent whole and drawn anew.

const SVG_NS = "http://www.w3.org/2000/svg";
const TICK = `fill="currentColor" fill-opacity="0.7"`;
const rule = (v) => `stroke="currentColor" stroke-opacity="${v === 0 ? 0.35 : 0.12}"`;  // zero, grid
const MARGIN = { left: 52, right: 12, top: 8, bottom: 44 };
const LEGEND_ROW = 22;  // px per row of the legend under the x axis
const MAX_SIDE = 470;  // the plot's square side at most, in px: about the Plotly zoom's

function esc(s) {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function num(v, digits) {
  return (v < 0 ? "−" : "") + Math.abs(v).toFixed(digits);
}

// The SVG's markup for `d` at a container `width` px wide: the plot is a square (one unit of z is
// as long across as up, so the prior's circle stays a circle).
function zcMarkup(d, width) {
  const side = Math.max(120, Math.min(MAX_SIDE, width - MARGIN.left - MARGIN.right));
  const [x0, x1] = d.x_range, [y0, y1] = d.y_range;
  const L = MARGIN.left, T = MARGIN.top;
  const X = (v) => L + ((v - x0) / (x1 - x0)) * side;
  const Y = (v) => T + (1 - (v - y0) / (y1 - y0)) * side;
  const sx = side / (x1 - x0), sy = side / (y1 - y0);
  const c = d.colours, out = [];
  out.push(`<defs><clipPath id="${d.clip}"><rect x="${L}" y="${T}" width="${side}" height="${side}"/></clipPath></defs>`);
  for (const [v, label] of d.x_ticks) {
    const px = X(v).toFixed(1);
    out.push(`<line ${rule(v)} x1="${px}" x2="${px}" y1="${T}" y2="${T + side}"/>`);
    out.push(`<text ${TICK} x="${px}" y="${T + side + 16}" text-anchor="middle">${esc(label)}</text>`);
  }
  for (const [v, label] of d.y_ticks) {
    const py = Y(v).toFixed(1);
    out.push(`<line ${rule(v)} x1="${L}" x2="${L + side}" y1="${py}" y2="${py}"/>`);
    out.push(`<text ${TICK} x="${L - 6}" y="${py}" dy="0.35em" text-anchor="end">${esc(label)}</text>`);
  }
  out.push(`<text fill="currentColor" x="${L + side / 2}" y="${T + side + 36}" text-anchor="middle">${esc(d.x_label)}</text>`);
  out.push(`<text fill="currentColor" transform="translate(12 ${T + side / 2}) rotate(-90)" text-anchor="middle">${esc(d.y_label)}</text>`);
  out.push(`<g clip-path="url(#${d.clip})">`);
  const bg = d.background;
  out.push(`<g class="codes" fill-opacity="0.3">`);
  for (let i = 0; i < bg.x.length; i++) {
    const colour = d.class_colours[bg.c[i] % d.class_colours.length];
    out.push(`<circle cx="${X(bg.x[i]).toFixed(1)}" cy="${Y(bg.y[i]).toFixed(1)}" r="2.5" fill="${colour}"/>`);
  }
  out.push(`</g>`);
  // the prior's 1-sigma circle: dark dashes on a light halo, as on every latent plane
  const pr = `cx="${X(0).toFixed(1)}" cy="${Y(0).toFixed(1)}" rx="${sx.toFixed(2)}" ry="${sy.toFixed(2)}" fill="none"`;
  out.push(`<ellipse class="prior-halo" ${pr} stroke="${c.halo}" stroke-width="6"/>`);
  out.push(`<ellipse class="prior" ${pr} stroke="${c.prior}" stroke-width="3" stroke-dasharray="6 4"/>`);
  const zx = d.z.x, zy = d.z.y;
  out.push(`<g class="z" fill="none" stroke="${c.sample}" stroke-width="2">`);
  for (let i = 0; i < zx.length; i++) {
    out.push(`<circle cx="${X(zx[i]).toFixed(1)}" cy="${Y(zy[i]).toFixed(1)}" r="4.5"><title>z = (${num(zx[i], 3)}, ${num(zy[i], 3)})</title></circle>`);
  }
  out.push(`</g>`);
  const [mx, my] = d.mu, [s0, s1] = d.sigma;
  out.push(`<ellipse class="q" cx="${X(mx).toFixed(1)}" cy="${Y(my).toFixed(1)}" rx="${(s0 * sx).toFixed(2)}" ry="${(s1 * sy).toFixed(2)}" fill="none" stroke="${c.width}" stroke-width="3"/>`);
  const cx = X(mx), cy = Y(my), r = 6.5;
  out.push(`<g class="mu" stroke="${c.mean}" stroke-width="4"><title>mu = (${num(mx, 3)}, ${num(my, 3)})</title>` +
           `<line x1="${(cx - r).toFixed(1)}" y1="${(cy - r).toFixed(1)}" x2="${(cx + r).toFixed(1)}" y2="${(cy + r).toFixed(1)}"/>` +
           `<line x1="${(cx - r).toFixed(1)}" y1="${(cy + r).toFixed(1)}" x2="${(cx + r).toFixed(1)}" y2="${(cy - r).toFixed(1)}"/></g>`);
  out.push(`</g>`);
  const top = T + side + MARGIN.bottom;
  out.push(zcLegend(d, L, top, side));
  return { markup: out.join(""), height: top + 2 * LEGEND_ROW };
}

// The legend, two items a row under the plot, inside the SVG (a downloaded file keeps it).
function zcLegend(d, left, top, side) {
  const c = d.colours;
  let k = 0;
  const item = (swatch, text) => {
    const x = left + (k % 2) * Math.max(190, side / 2), y = top + Math.floor(k / 2) * LEGEND_ROW;
    k += 1;
    return `<g class="item" transform="translate(${x} ${y})">${swatch}` +
           `<text fill="currentColor" x="38" y="7" dy="0.35em">${esc(text)}</text></g>`;
  };
  return `<g class="legend">` + [
    item(`<line x1="2" x2="28" y1="7" y2="7" stroke="${c.neutral}" stroke-width="3" stroke-dasharray="6 4"/>`,
         "prior N(0, I), 1 sigma"),
    item(`<circle cx="15" cy="7" r="4.5" fill="none" stroke="${c.sample}" stroke-width="2"/>`,
         `z = mu + sigma * eps (${d.z.x.length})`),
    item(`<line x1="2" x2="28" y1="7" y2="7" stroke="${c.width}" stroke-width="3"/>`, "q(z|x), 1 sigma"),
    item(`<g stroke="${c.mean}" stroke-width="3"><line x1="10" y1="2" x2="20" y2="12"/><line x1="10" y1="12" x2="20" y2="2"/></g>`,
         "mu(x)"),
  ].join("") + `</g>`;
}

// The picture as an .svg file: the SVG with the page's text colour and font written into it,
// the title above the plot, and a background (transparent text on a dark page would vanish).
function zcDownload(root, svg, d) {
  const cs = getComputedStyle(root);
  const box = svg.viewBox.baseVal;
  const clone = svg.cloneNode(true);
  const inner = clone.innerHTML;
  clone.setAttribute("xmlns", SVG_NS);
  clone.setAttribute("width", String(box.width));
  clone.setAttribute("height", String(box.height + 28));
  clone.setAttribute("viewBox", `0 0 ${box.width} ${box.height + 28}`);
  clone.setAttribute("style", `color: ${cs.color}; font-family: ${cs.fontFamily}; font-size: 12px`);
  const bg = cs.getPropertyValue("--st-background-color").trim() || "#ffffff";
  clone.innerHTML = `<rect width="100%" height="100%" fill="${bg}"/>` +
    `<text fill="currentColor" x="8" y="18" font-size="15" font-weight="700">${esc(d.title)}</text>` +
    `<g transform="translate(0 28)">${inner}</g>`;
  const blob = new Blob([new XMLSerializer().serializeToString(clone)], { type: "image/svg+xml" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = d.filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

function createCloud(root) {
  const S = { data: null };
  const svg = root.querySelector("svg.plane"), title = root.querySelector(".title span");
  root.querySelector(".title button").addEventListener("click", () => {
    if (S.data) zcDownload(root, svg, S.data);
  });
  let width = 0;
  function draw() {
    const d = S.data;
    if (!d) return;
    width = root.clientWidth || 500;
    const { markup, height } = zcMarkup(d, width);
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("height", String(height));
    svg.setAttribute("aria-label", d.title);
    svg.innerHTML = markup;
    title.textContent = d.title;
    root.dataset.n = String(d.z.x.length);
    root.dataset.ready = "1";
  }
  if (window.ResizeObserver) {
    new ResizeObserver(() => { if (root.clientWidth !== width) draw(); }).observe(root);
  }
  S.update = (data) => { S.data = data; draw(); };
  return S;
}

export default function (component) {
  const { data, parentElement } = component;
  const root = parentElement.querySelector(".vae-zc");
  if (!root || !data) return;
  if (!root.__zc) root.__zc = createCloud(root);
  root.__zc.update(data);
}
