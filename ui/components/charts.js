// Charts drawn as one SVG in the browser (after svg_common.js), for pictures that a Plotly chart
// drew: on Rate and distortion, the rate-distortion plane ("scatter": every run at (KL,
// reconstruction), coloured by beta, its name beside it), the active units per beta ("bars") and
// the KL per latent dim by beta ("heatmap"); on Latent space, the KL per dim ("bars"); on
// Generate and Compare, their image grids ("images"). Python sends plain numbers
// (ui.figures.explain.rate_distortion_view, ui.figures.beta.active_units_view and
// kl_per_dim_view, ui.figures.latent.kl_bars_view, ui.figures.generate.image_grid_view), colours
// and pictures included; the browser only places them. A page visit draws these in a fraction of
// what mounting Plotly charts took (bench/README.md).

const CH = { left: 64, right: 16, top: 12, bottom: 52, bar: 74 };  // bar: room for a colour bar

// The plot's box for `width`, and the maps from data to px (x on a log10 scale where d.x_log).
function chFrame(d, width, left = CH.left) {
  const right = d.colour_bar ? CH.bar : CH.right;
  const top = CH.top + (d.subtitle ? 20 : 0);
  const w = Math.max(120, width - left - right), h = d.plot_height;
  const f = (v) => (d.x_log ? Math.log10(v) : v);
  const [x0, x1] = d.x_range || [0, 1], [y0, y1] = d.y_range || [0, 1];
  return { L: left, T: top, w, h, B: top + h,
           X: (v) => left + ((f(v) - f(x0)) / (f(x1) - f(x0))) * w,
           Y: (v) => top + h - ((v - y0) / (y1 - y0)) * h };
}

// Grid lines and tick words on y (and on x where the chart has x ticks), and the axis titles.
function chAxes(d, g, out) {
  const { L, T, w, h, B, X, Y } = g;
  for (const [v, label] of d.y_ticks || []) {
    const py = Y(v).toFixed(1);
    out.push(`<line ${svgRule(v)} x1="${L}" x2="${(L + w).toFixed(1)}" y1="${py}" y2="${py}"/>` +
             `<text ${SVG_TICK} x="${L - 6}" y="${py}" dy="0.35em" text-anchor="end">${esc(label)}</text>`);
  }
  for (const [v, label] of d.x_ticks || []) {
    const px = X(v).toFixed(1);
    out.push(`<line ${svgRule(v)} x1="${px}" x2="${px}" y1="${T}" y2="${B}"/>` +
             `<text ${SVG_TICK} x="${px}" y="${B + 16}" text-anchor="middle">${esc(label)}</text>`);
  }
  if (d.x_title) out.push(`<text fill="currentColor" x="${(L + w / 2).toFixed(1)}" y="${B + 38}" text-anchor="middle">${esc(d.x_title)}</text>`);
  if (d.y_title) out.push(`<text fill="currentColor" transform="translate(14 ${(T + h / 2).toFixed(1)}) rotate(-90)" text-anchor="middle">${esc(d.y_title)}</text>`);
}

// The colour bar right of the plot: the scale's stops bottom (0) to top (1), its ticks and title.
function chColourBar(d, g, out) {
  const cb = d.colour_bar;
  if (!cb) return;
  const x = g.L + g.w + 16, h = g.h, id = `${d.clip || "ch"}-scale`;
  out.push(`<defs><linearGradient id="${id}" x1="0" y1="1" x2="0" y2="0">` +
           cb.stops.map(([f, c]) => `<stop offset="${f}" stop-color="${c}"/>`).join("") +
           `</linearGradient></defs>`);
  const top = g.T + 16, span = Math.max(10, h - 16);  // the title above the bar, inside the plot's height
  out.push(`<text fill="currentColor" x="${x}" y="${g.T + 4}" font-size="11">${esc(cb.title)}</text>`);
  out.push(`<rect x="${x}" y="${top}" width="14" height="${span}" fill="url(#${id})"/>`);
  for (const [f, label] of cb.ticks) {
    const y = (top + (1 - f) * span).toFixed(1);
    out.push(`<text ${SVG_TICK} x="${x + 19}" y="${y}" dy="0.35em">${esc(label)}</text>`);
  }
}

// A cross (a collapsed run) of half-size r at (x, y), in `colour`, outlined as Plotly's marker.
function chCross(x, y, r, colour, outline) {
  const d = `M${(x - r).toFixed(1)} ${(y - r).toFixed(1)}L${(x + r).toFixed(1)} ${(y + r).toFixed(1)}` +
            `M${(x - r).toFixed(1)} ${(y + r).toFixed(1)}L${(x + r).toFixed(1)} ${(y - r).toFixed(1)}`;
  return `<path d="${d}" stroke="${outline}" stroke-width="6" stroke-linecap="round"/>` +
         `<path d="${d}" stroke="${colour}" stroke-width="4" stroke-linecap="round"/>`;
}

function chScatter(d, width, out) {
  const g = chFrame(d, width);
  chAxes(d, g, out);
  chColourBar(d, g, out);
  out.push(`<g class="points">`);
  for (const p of d.points) {
    const x = g.X(p.x), y = g.Y(p.y), r = p.big ? 9 : 6.5;
    out.push(p.cross ? `<g class="point cross">${chCross(x, y, r * 0.8, p.colour, d.outline)}</g>`
      : `<circle class="point" cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${r}" fill="${p.colour}" stroke="${d.outline}"/>`);
  }
  out.push(`</g><g class="names">`);
  for (const p of d.points) {
    out.push(`<text fill="currentColor" x="${(g.X(p.x) + p.dx).toFixed(1)}" y="${(g.Y(p.y) - p.dy).toFixed(1)}" dy="0.35em" text-anchor="middle">${esc(p.name)}</text>`);
  }
  out.push(`</g>`);
  out.push(`<g class="legend">` + d.legend.map((item) => `<g class="item">` +
    (item.cross ? chCross(15, 7, 5, "#888888", d.outline)
                : `<circle cx="15" cy="7" r="5.5" fill="#888888" stroke="${d.outline}"/>`) +
    `<text fill="currentColor" x="38" y="7" dy="0.35em">${esc(item.label)}</text></g>`).join("") + `</g>`);
  return { g, hover: (px, py) => {  // the run whose point is nearest, within 14 px
    let best = null, gap = 14;
    for (const p of d.points) {
      const dist = Math.hypot(g.X(p.x) - px, g.Y(p.y) - py);
      if (dist <= gap) { best = p; gap = dist; }
    }
    return best ? best.hover : null;
  } };
}

function chBars(d, width, out) {
  const g = chFrame({ ...d, x_range: [0, 1] }, width);
  chAxes({ ...d, x_ticks: [] }, g, out);
  const n = d.bars.length, band = g.w / Math.max(n, 1);
  const every = Math.max(1, Math.ceil(28 / band));  // many dims: a word under every k-th bar
  d.bars.forEach((b, k) => {
    const cx = g.L + band * (k + 0.5), bw = band * 0.7, y = g.Y(b.value);
    out.push(`<rect class="bar" x="${(cx - bw / 2).toFixed(1)}" y="${y.toFixed(1)}" width="${bw.toFixed(1)}" height="${(g.B - y).toFixed(1)}" fill="${b.colour || d.colour}"/>`);
    if (b.text) out.push(`<text fill="currentColor" x="${cx.toFixed(1)}" y="${(y - 5).toFixed(1)}" text-anchor="middle">${esc(b.text)}</text>`);
    if (k % every === 0) out.push(`<text ${SVG_TICK} x="${cx.toFixed(1)}" y="${g.B + 16}" text-anchor="middle">${esc(b.label)}</text>`);
  });
  return { g, hover: (px, py) => {
    const k = Math.floor((px - g.L) / band);
    return px >= g.L && k >= 0 && k < n && py >= g.T && py <= g.B ? d.bars[k].hover : null;
  } };
}

function chHeatmap(d, width, out) {
  const rows = d.rows.length, cols = d.cols.length;
  const g = chFrame({ ...d, plot_height: Math.max(1, rows) * 30 }, width, 78);
  const cw = g.w / Math.max(cols, 1), rh = g.h / Math.max(rows, 1);
  out.push(`<text fill="currentColor" fill-opacity="0.8" x="${g.L}" y="12" font-size="11">${esc(d.subtitle || "")}</text>`);
  d.cells.forEach((row, r) => {
    out.push(`<text ${SVG_TICK} x="${g.L - 6}" y="${(g.T + rh * (r + 0.5)).toFixed(1)}" dy="0.35em" text-anchor="end">${esc(d.rows[r])}</text>`);
    row.forEach((cell, c) => {
      const x = g.L + c * cw, y = g.T + r * rh;
      out.push(`<rect class="cell" data-r="${r}" data-c="${c}" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(cw + 0.5).toFixed(1)}" height="${(rh + 0.5).toFixed(1)}" fill="${cell.colour}"/>`);
      if (cell.mark) out.push(`<text class="mark" x="${(x + cw / 2).toFixed(1)}" y="${(y + rh / 2).toFixed(1)}" dy="0.35em" text-anchor="middle" font-size="14" fill="${cell.light ? "#000000" : "#ffffff"}">×</text>`);
    });
  });
  // a column's name under it, where there is room (16 dims of a narrow column: every other one)
  const every = Math.max(1, Math.ceil(24 / cw));
  d.cols.forEach((name, c) => {
    if (c % every === 0) out.push(`<text ${SVG_TICK} x="${(g.L + cw * (c + 0.5)).toFixed(1)}" y="${g.B + 16}" text-anchor="middle">${esc(name)}</text>`);
  });
  chColourBar(d, g, out);
  return { g, hover: (px, py) => {
    const c = Math.floor((px - g.L) / cw), r = Math.floor((py - g.T) / rh);
    return r >= 0 && r < rows && c >= 0 && c < cols ? d.cells[r][c].hover : null;
  } };
}

// An image grid ("images": ui.figures.generate.image_grid_view): one PNG of the tiles at source
// resolution, scaled up with its pixels kept square, centred; each row's words left of it, each
// column's (one or more lines) under it, and the axis titles. `measure(words)` is the widest in px.
function chImages(d, width, out, measure) {
  const [W, H] = d.size, [rows, cols] = d.grid, [th, tw] = d.tile, pad = d.pad;
  const rowW = d.row_labels ? measure(d.row_labels) + 8 : 0;
  const left = rowW + (d.y_title ? 24 : 0) + 10;
  // centred in the picture where there is room; the words' room kept on the left only
  const s = Math.max(0.05, Math.min((width - left - 10) / W, d.plot_height / H));
  const iw = W * s, ih = H * s, L = Math.max(left, (width - iw) / 2), T = 4, B = T + ih;
  out.push(`<image class="tiles" href="${d.png}" x="${L.toFixed(1)}" y="${T}" width="${iw.toFixed(1)}" height="${ih.toFixed(1)}" preserveAspectRatio="none" style="image-rendering: pixelated"/>`);
  (d.row_labels || []).forEach((label, r) => {
    const y = T + (pad + r * (th + pad) + th / 2) * s;
    out.push(`<text ${SVG_TICK} x="${(L - 6).toFixed(1)}" y="${y.toFixed(1)}" dy="0.35em" text-anchor="end">${esc(label)}</text>`);
  });
  if (d.y_title) out.push(`<text fill="currentColor" transform="translate(${(L - rowW - 12).toFixed(1)} ${(T + ih / 2).toFixed(1)}) rotate(-90)" text-anchor="middle">${esc(d.y_title)}</text>`);
  const lines = Math.max(0, ...(d.col_labels || []).map((l) => l.length));
  (d.col_labels || []).forEach((label, c) => {
    const x = (L + (pad + c * (tw + pad) + tw / 2) * s).toFixed(1);
    label.forEach((line, k) => out.push(`<text ${SVG_TICK} x="${x}" y="${(B + 16 + 14 * k).toFixed(1)}" text-anchor="middle">${esc(line)}</text>`));
  });
  const below = B + (lines ? 6 + 14 * lines : 0);
  if (d.x_title) out.push(`<text fill="currentColor" x="${(L + iw / 2).toFixed(1)}" y="${(below + 18).toFixed(1)}" text-anchor="middle">${esc(d.x_title)}</text>`);
  const height = Math.ceil(below + (d.x_title ? 26 : 4));
  return { g: { L, T, w: iw, h: ih, B }, height, hover: (px, py) => {
    const c = Math.floor(((px - L) / s - pad / 2) / (tw + pad));
    const r = Math.floor(((py - T) / s - pad / 2) / (th + pad));
    const words = r >= 0 && r < rows && c >= 0 && c < cols && px <= L + iw ? d.hover[r][c] : "";
    return words || null;
  } };
}

const CH_KINDS = { scatter: chScatter, bars: chBars, heatmap: chHeatmap, images: chImages };

function createChart(root) {
  let drawn = null, ctx = null;
  const measure = (words) => {  // the widest of `words` in px, in the picture's own type
    ctx = ctx || document.createElement("canvas").getContext("2d");
    const cs = getComputedStyle(root);
    ctx.font = `${cs.fontSize} ${cs.fontFamily}`;
    return Math.max(0, ...words.map((w) => ctx.measureText(String(w)).width));
  };
  const P = svgPicture(root, (d, width) => {
    const out = [], svg = P.svg;
    drawn = CH_KINDS[d.kind](d, width, out, measure);
    svg.innerHTML = out.join("");
    const top = drawn.g.B + (d.x_title ? 48 : 26);
    const height = drawn.height ||
      top + svgPlaceLegend(svg, drawn.g.L, top, width - drawn.g.L - 4) + 4;
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("height", String(height));
    root.dataset.kind = d.kind;
  }, (e) => {
    if (!drawn) return null;
    const box = P.svg.getBoundingClientRect();
    return drawn.hover(e.clientX - box.left, e.clientY - box.top);
  });
  return P;
}

export default function (component) {
  svgMount(component, createChart);
}
