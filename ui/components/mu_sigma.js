// §1's picture of q(z|x), drawn as one SVG in the browser (after svg_common.js): a row per dim,
// the prior's 0 +- 1 as a grey band, and this input's mu as a dot with a +- sigma bar. Python sends
// plain numbers (ui.figures.explain.mu_sigma_view); a new input sends new ones, and the element
// redraws in place, where a Plotly chart would be sent whole and mounted anew.

const MS = { left: 44, right: 14, top: 30, bottom: 40, row: 34 };

function msMarkup(d, width) {
  const n = d.dims.length, plotW = Math.max(120, width - MS.left - MS.right);
  const plotH = n * MS.row, T = MS.top, L = MS.left;
  const [x0, x1] = d.x_range;
  const X = (v) => L + ((v - x0) / (x1 - x0)) * plotW;
  const c = d.colours, out = [];
  // the legend, above the plot
  out.push(`<g class="legend">` +
    `<g class="item" transform="translate(${L} 4)"><rect x="2" y="1" width="26" height="12" fill="${c.prior_fill}" stroke="${c.prior_edge}"/>` +
    `<text fill="currentColor" x="36" y="7" dy="0.35em">prior N(0, 1): 0 +- 1</text></g>` +
    `<g class="item" transform="translate(${L + 190} 4)"><line x1="3" x2="27" y1="7" y2="7" stroke="${c.width}" stroke-width="3"/>` +
    `<circle cx="15" cy="7" r="5" fill="${c.mean}"/><text fill="currentColor" x="36" y="7" dy="0.35em">mu +- sigma</text></g>` +
    `</g>`);
  for (const [v, label] of d.x_ticks) {
    const px = X(v).toFixed(1);
    out.push(`<line ${svgRule(v)} x1="${px}" x2="${px}" y1="${T}" y2="${T + plotH}"/>`);
    out.push(`<text ${SVG_TICK} x="${px}" y="${T + plotH + 16}" text-anchor="middle">${esc(label)}</text>`);
  }
  out.push(`<text fill="currentColor" x="${L + plotW / 2}" y="${T + plotH + 34}" text-anchor="middle">z</text>`);
  const band = MS.row * 0.62;
  for (let k = 0; k < n; k++) {
    const cy = T + (k + 0.5) * MS.row, m = d.mu[k], s = d.sigma[k];
    const lo = X(m - s), hi = X(m + s), cap = 4;
    out.push(`<g class="row" data-k="${k}">` +
      `<rect class="hit" x="${L}" y="${(cy - MS.row / 2).toFixed(1)}" width="${plotW}" height="${MS.row}" fill="transparent"/>` +
      `<text ${SVG_TICK} x="${L - 8}" y="${cy.toFixed(1)}" dy="0.35em" text-anchor="end">${esc(d.dims[k])}</text>` +
      `<rect class="prior" x="${X(-1).toFixed(1)}" y="${(cy - band / 2).toFixed(1)}" width="${(X(1) - X(-1)).toFixed(1)}" height="${band.toFixed(1)}" fill="${c.prior_fill}" stroke="${c.prior_edge}"/>` +
      `<g stroke="${c.width}" stroke-width="3"><line class="bar" x1="${lo.toFixed(1)}" x2="${hi.toFixed(1)}" y1="${cy.toFixed(1)}" y2="${cy.toFixed(1)}"/>` +
      `<line x1="${lo.toFixed(1)}" x2="${lo.toFixed(1)}" y1="${(cy - cap).toFixed(1)}" y2="${(cy + cap).toFixed(1)}"/>` +
      `<line x1="${hi.toFixed(1)}" x2="${hi.toFixed(1)}" y1="${(cy - cap).toFixed(1)}" y2="${(cy + cap).toFixed(1)}"/></g>` +
      `<circle class="mu" cx="${X(m).toFixed(1)}" cy="${cy.toFixed(1)}" r="6" fill="${c.mean}"/></g>`);
  }
  return { markup: out.join(""), height: T + plotH + MS.bottom };
}

function createBars(root) {
  const svg = root.querySelector("svg.plane");
  return svgPicture(root, (d, width) => {
    const { markup, height } = msMarkup(d, width);
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("height", String(height));
    svg.innerHTML = markup;
  }, (e, d) => {  // the hover names a row's numbers, as the table below does
    const row = e.target && e.target.closest ? e.target.closest("g.row") : null;
    if (!row) return null;
    const k = Number(row.dataset.k);
    return `${d.dims[k]}: mu = ${num(d.mu[k], 4)}, sigma = ${num(d.sigma[k], 4)}`;
  });
}

export default function (component) {
  svgMount(component, createBars);
}
