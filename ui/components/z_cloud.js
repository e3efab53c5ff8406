// The z cloud: §2's two planes, each drawn as one SVG in the browser (after svg_common.js). Python
// sends plain numbers: ui.figures.explain.zoom_view (the faint test codes inside the square ranges,
// the prior's 1-sigma circle, mu and its 1-sigma ellipse, and every z drawn) or full_view (every
// test image's mu, pickable, and the input's mu and ellipse) or codes_view (every test image's
// mu, nothing marked: Replay at one epoch, Presenter's planes, the Train page's posterior, which
// adds a sample of sigma ellipses, the prior's 1-3 sigma circles and each class's name at its
// centre). A view's `font_size` scales the words and margins (Presenter's large type).
// Streamlit calls the default export again with each new `data` (a "Sample eps" click, a new
// input, an epoch's weights), and the element stays: the picture is redrawn in place, where a
// Plotly chart would be sent whole and drawn anew.

const MARGIN = { left: 52, right: 12, top: 8, bottom: 44 };  // at 12 px words
const MAX_SIDE = 470;  // the plot's square side at most, in px: about the Plotly zoom's

// The plot's square and its mapping from z to px, for data `d` in a container `width` px wide
// (one unit of z is as long across as up, so the prior's circle stays a circle). `k` scales the
// margins with the words (font_size / 12).
function zcFrame(d, width) {
  const k = (d.font_size || 12) / 12;
  const M = { left: MARGIN.left * k, right: MARGIN.right, top: MARGIN.top, bottom: MARGIN.bottom * k };
  const side = Math.max(120, Math.min(d.max_side || MAX_SIDE, width - M.left - M.right));
  const [x0, x1] = d.x_range, [y0, y1] = d.y_range;
  const L = M.left, T = M.top;
  return { side, L, T, k, M, sx: side / (x1 - x0), sy: side / (y1 - y0),
           X: (v) => L + ((v - x0) / (x1 - x0)) * side,
           Y: (v) => T + (1 - (v - y0) / (y1 - y0)) * side };
}

// What stays while only the input or its z change: the grid, the ticks, the test codes and the
// prior's circle. `pickable` codes carry their place in `background` (the hover and the click).
function zcPlaneMarkup(d, f) {
  const { side, L, T, X, Y, sx, sy, k } = f;
  const c = d.colours, out = [];
  out.push(`<defs><clipPath id="${d.clip}"><rect x="${L}" y="${T}" width="${side}" height="${side}"/></clipPath></defs>`);
  for (const [v, label] of d.x_ticks) {
    const px = X(v).toFixed(1);
    out.push(`<line ${svgRule(v)} x1="${px}" x2="${px}" y1="${T}" y2="${T + side}"/>`);
    out.push(`<text ${SVG_TICK} x="${px}" y="${T + side + 16 * k}" text-anchor="middle">${esc(label)}</text>`);
  }
  for (const [v, label] of d.y_ticks) {
    const py = Y(v).toFixed(1);
    out.push(`<line ${svgRule(v)} x1="${L}" x2="${L + side}" y1="${py}" y2="${py}"/>`);
    out.push(`<text ${SVG_TICK} x="${L - 6}" y="${py}" dy="0.35em" text-anchor="end">${esc(label)}</text>`);
  }
  out.push(`<text fill="currentColor" x="${L + side / 2}" y="${T + side + 36 * k}" text-anchor="middle">${esc(d.x_label)}</text>`);
  out.push(`<text fill="currentColor" transform="translate(${12 * k} ${T + side / 2}) rotate(-90)" text-anchor="middle">${esc(d.y_label)}</text>`);
  out.push(`<g clip-path="url(#${d.clip})">`);
  // a sample of q(z|x)'s 1-sigma ellipses, under the codes, faint: hundreds overlap
  const el = d.ellipses;
  if (el) {
    out.push(`<g class="sigma" fill="none" stroke-width="1" stroke-opacity="${el.opacity}" pointer-events="none">`);
    for (let i = 0; i < el.x.length; i++) {
      const colour = d.class_colours[el.c[i] % d.class_colours.length];
      out.push(`<ellipse cx="${X(el.x[i]).toFixed(1)}" cy="${Y(el.y[i]).toFixed(1)}" rx="${(el.sx[i] * sx).toFixed(1)}" ry="${(el.sy[i] * sy).toFixed(1)}" stroke="${colour}"/>`);
    }
    out.push(`</g>`);
  }
  // "pt": a code a click picks; "code": one the hover names only
  const bg = d.background, r = d.point_r || 2.5, pick = ` class="${d.pickable ? "pt" : "code"}"`;
  out.push(`<g class="codes" fill-opacity="${d.point_opacity || 0.3}">`);
  for (let i = 0; i < bg.x.length; i++) {
    const colour = d.class_colours[bg.c[i] % d.class_colours.length];
    out.push(`<circle${pick} data-k="${i}" data-c="${bg.c[i]}" cx="${X(bg.x[i]).toFixed(1)}" cy="${Y(bg.y[i]).toFixed(1)}" r="${r}" fill="${colour}"/>`);
  }
  out.push(`</g>`);
  // the prior's circles (1 sigma, or 1, 2 and 3): dark dashes on a light halo, as on every
  // latent plane; they and the class names leave the hover to the codes under them
  out.push(`<g pointer-events="none">`);
  for (const r of d.prior_radii || [1]) {
    const pr = `cx="${X(0).toFixed(1)}" cy="${Y(0).toFixed(1)}" rx="${(r * sx).toFixed(2)}" ry="${(r * sy).toFixed(2)}" fill="none"`;
    out.push(`<ellipse class="prior-halo" ${pr} stroke="${c.halo}" stroke-width="6"/>`);
    out.push(`<ellipse class="prior" data-r="${r}" ${pr} stroke="${c.prior}" stroke-width="3" stroke-dasharray="6 4"/>`);
  }
  // each class's name at its codes' centre (ui.figures.latent.class_label_places), moved clear
  // of the others with a line back to it: a class is never told by its colour alone. The
  // backdrop is sized to the words once they are drawn (zcSizeLabels).
  for (const lb of d.class_labels || []) {
    const cx = X(lb.x), cy = Y(lb.y), tx = cx + lb.dx, ty = cy - lb.dy;
    const colour = d.class_colours[lb.c % d.class_colours.length];
    out.push(`<g class="class-label" data-c="${lb.c}">`);
    if (lb.dx || lb.dy) out.push(`<line x1="${cx.toFixed(1)}" y1="${cy.toFixed(1)}" x2="${tx.toFixed(1)}" y2="${ty.toFixed(1)}" stroke="${colour}" stroke-width="1.5"/>`);
    out.push(`<rect fill="${colour}" fill-opacity="0.95" rx="2"/>` +
             `<text x="${tx.toFixed(1)}" y="${ty.toFixed(1)}" dy="0.35em" text-anchor="middle" font-weight="700" font-size="${14 * k}" fill="${c.label_text}">${esc(lb.text)}</text></g>`);
  }
  out.push(`</g></g>`);
  return out.join("");
}

// Each class name's backdrop, fitted to its drawn words.
function zcSizeLabels(svg) {
  for (const g of svg.querySelectorAll("g.class-label")) {
    const b = g.querySelector("text").getBBox(), rect = g.querySelector("rect");
    rect.setAttribute("x", (b.x - 3).toFixed(1));
    rect.setAttribute("y", (b.y - 1).toFixed(1));
    rect.setAttribute("width", (b.width + 6).toFixed(1));
    rect.setAttribute("height", (b.height + 2).toFixed(1));
  }
}

// What one input adds: the z drawn, q(z|x)'s 1-sigma ellipse and mu's cross, clipped to the plot
// (nothing where no input is shown: Replay's codes).
function zcInputMarkup(d, f) {
  if (!d.mu) return "";
  const { X, Y, sx, sy } = f;
  const c = d.colours, out = [`<g clip-path="url(#${d.clip})">`];
  const zx = d.z ? d.z.x : [], zy = d.z ? d.z.y : [];
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
  return out.join("");
}

// The legend under the plot, inside the SVG (a downloaded file keeps it): the classes where the
// view names them, then the prior, the z (where the view draws them), q(z|x) and mu. Its items are
// placed once drawn (svgPlaceLegend), when their words can be measured.
function zcLegend(d) {
  const c = d.colours, items = [];
  (d.class_names || []).forEach((name, k) => items.push([
    `<circle cx="15" cy="7" r="5" fill="${d.class_colours[k % d.class_colours.length]}"/>`, name, true]));
  const radii = d.prior_radii || [1];
  items.push([`<line x1="2" x2="28" y1="7" y2="7" stroke="${c.neutral}" stroke-width="3" stroke-dasharray="6 4"/>`,
              `prior N(0, I), ${radii.join(", ")} sigma`]);
  if (d.ellipses) {
    items.push([`<ellipse cx="15" cy="7" rx="12" ry="5" fill="none" stroke="currentColor" stroke-opacity="0.6"/>`,
                d.ellipses.words]);
  }
  if (d.z) {
    items.push([`<circle cx="15" cy="7" r="4.5" fill="none" stroke="${c.sample}" stroke-width="2"/>`,
                `z = mu + sigma * eps (${d.z.x.length})`]);
  }
  if (d.mu) {
    items.push([`<line x1="2" x2="28" y1="7" y2="7" stroke="${c.width}" stroke-width="3"/>`, "q(z|x), 1 sigma"]);
    items.push([`<g stroke="${c.mean}" stroke-width="3"><line x1="10" y1="2" x2="20" y2="12"/><line x1="10" y1="12" x2="20" y2="2"/></g>`,
                "mu(x)"]);
  }
  return `<g class="legend">` + items.map(([swatch, text, cls]) =>
    `<g class="item"${cls ? ` data-class="1"` : ""}>${swatch}` +
    `<text fill="currentColor" x="38" y="7" dy="0.35em">${esc(text)}</text></g>`).join("") + `</g>`;
}

function createCloud(root) {
  // the plane's layer is drawn again only when what it shows changes: a new input or new z leave
  // the test codes (up to 10,000 circles) as they are
  let planeKey = null, plane = null, upper = null;
  function draw(d, width) {
    const svg = P.svg, f = zcFrame(d, width);
    const top = f.T + f.side + f.M.bottom;
    const key = JSON.stringify([width, d.plane_id || null, d.plane_id ? null : d.background,
                                d.x_range, d.y_range, d.clip, d.ellipses || null,
                                d.class_labels || null, d.prior_radii || null, d.font_size || null]);
    if (key !== planeKey || !plane || !plane.isConnected) {
      svg.innerHTML = `<g class="plane-layer">${zcPlaneMarkup(d, f)}</g><g class="input-layer"></g>`;
      plane = svg.querySelector("g.plane-layer");
      upper = svg.querySelector("g.input-layer");
      planeKey = key;
      zcSizeLabels(svg);
    }
    upper.innerHTML = zcInputMarkup(d, f) + zcLegend(d);
    const height = top + svgPlaceLegend(svg, f.L, top, width - f.L - 4, LEGEND_ROW * f.k) + 4;
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("height", String(height));
    root.dataset.n = String(d.z ? d.z.x.length : 0);
  }
  // the hover names a code's test image; a click on it picks that image (pickable views only)
  const codeAt = (e, cls) => {
    const t = e.target;
    return t && t.classList && cls.some((c) => t.classList.contains(c)) ? Number(t.dataset.k)
                                                                        : null;
  };
  const P = svgPicture(root, draw, (e, d) => {
    const k = d.background.i ? codeAt(e, ["pt", "code"]) : null;
    if (k === null) return null;
    const bg = d.background, name = (d.class_names || [])[bg.c[k]] ?? bg.c[k];
    return `${name} · test image #${bg.i[k] + 1} · mu = (${num(bg.x[k], 2)}, ${num(bg.y[k], 2)})`;
  });
  P.svg.addEventListener("click", (e) => {
    const k = P.data && P.data.pickable ? codeAt(e, ["pt"]) : null;
    if (k === null || !P.setTriggerValue) return;
    P.tip.hidden = true;
    P.setTriggerValue("pick", P.data.background.i[k]);
  });
  return P;
}

export default function (component) {
  svgMount(component, createCloud);
}
