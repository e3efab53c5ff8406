// Curves drawn as one SVG in the browser (after svg_common.js): panels side by side ("row": the
// Train page's reconstruction, KL and -ELBO against the step; the Runs page's one panel, a line
// per run) or stacked ("column": Replay's test curves by epoch), each with its lines, a shared x
// axis, a legend under them and an optional cursor. Python sends plain numbers
// (ui.figures.curves.curves_view, runs_overlay_view, replay_curves_view); new ones (a second of
// training, a Replay frame, another run chosen) redraw the element in place, where a Plotly chart
// would be sent whole and mounted anew.

const CV_RULE = svgRule(null);  // grid lines only: no axis of these panels is drawn stronger at 0
const CV = { left: 58, right: 12, top: 30, gap: 50, vgap: 18, legend: 49 };  // legend: its top under a panel

// A polyline through the points whose x and y are both numbers; a missing value breaks it.
function cvPath(xs, ys, X, Y) {
  let d = "", pen = false;
  for (let i = 0; i < xs.length; i++) {
    if (xs[i] === null || ys[i] === null) { pen = false; continue; }
    d += `${pen ? "L" : "M"}${X(xs[i]).toFixed(1)} ${Y(ys[i]).toFixed(1)}`;
    pen = true;
  }
  return d;
}

// A panel's curve with its numbers: Python sends each column once (d.data[source][column]).
function cvLine(d, s) {
  const src = d.data[s.source];
  return { ...s, x: src[d.x], y: src[s.y], epoch: d.x !== "epoch" && src.epoch ? src.epoch : null };
}

// Where each panel sits for this width: its box, its scales and its curves.
function cvLayout(d, width) {
  const n = d.panels.length, row = d.layout !== "column";
  const w = row ? Math.max(80, (width - CV.left - CV.right - (n - 1) * CV.gap) / n)
                : Math.max(80, width - CV.left - CV.right);
  const [x0, x1] = d.x_range;
  let top = d.panels.some((p) => p.name) ? CV.top : 10;  // room for the panels' titles, if any
  return d.panels.map((p, k) => {
    const L = row ? CV.left + k * (w + CV.gap) : CV.left;
    const H = row ? d.plot_height : d.plot_height * p.share;
    const T = top;
    if (!row) top += H + CV.vgap;
    const [y0, y1] = p.y_range;
    return { p, L, T, w, H, lines: p.series.map((s) => cvLine(d, s)),
             X: (v) => L + ((v - x0) / (x1 - x0)) * w,
             Y: (v) => T + H - ((v - y0) / (y1 - y0)) * H,
             at: (px) => x0 + ((px - L) / w) * (x1 - x0) };
  });
}

function cvMarkup(d, panels) {
  const row = d.layout !== "column", out = [];
  const last = panels[panels.length - 1];
  for (const g of panels) {
    const { p, L, T, w, H, X, Y, lines } = g, B = T + H;
    if (p.name) out.push(`<text fill="currentColor" x="${(L + w / 2).toFixed(1)}" y="${T - 12}" text-anchor="middle" font-size="13">${esc(p.name)}</text>`);
    for (const [v, label] of p.y_ticks) {
      const py = Y(v).toFixed(1);
      out.push(`<line ${CV_RULE} x1="${L}" x2="${(L + w).toFixed(1)}" y1="${py}" y2="${py}"/>` +
        `<text ${SVG_TICK} x="${L - 6}" y="${py}" dy="0.35em" text-anchor="end">${esc(label)}</text>`);
    }
    const labelled = row || g === last;  // stacked panels share the x axis's words, under the last
    for (const [v, label] of d.x_ticks) {
      const px = X(v).toFixed(1);
      out.push(`<line ${CV_RULE} x1="${px}" x2="${px}" y1="${T}" y2="${B}"/>`);
      if (labelled) out.push(`<text ${SVG_TICK} x="${px}" y="${B + 16}" text-anchor="middle">${esc(label)}</text>`);
    }
    if (labelled) out.push(`<text fill="currentColor" x="${(L + w / 2).toFixed(1)}" y="${B + 34}" text-anchor="middle">${esc(d.x_title)}</text>`);
    if (p.y_title) out.push(`<text fill="currentColor" transform="translate(14 ${(T + H / 2).toFixed(1)}) rotate(-90)" text-anchor="middle">${esc(p.y_title)}</text>`);
    out.push(`<g class="lines">`);
    for (const s of lines) {
      out.push(`<path class="${esc(s.key)}" d="${cvPath(s.x, s.y, X, Y)}" fill="none" stroke="${s.colour}" stroke-width="${s.width}" stroke-linejoin="round"/>`);
      if (s.dots) {
        const dots = [];
        s.x.forEach((x, i) => {
          if (x !== null && s.y[i] !== null) dots.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(s.y[i]).toFixed(1)}" r="3"/>`);
        });
        out.push(`<g fill="${s.colour}">${dots.join("")}</g>`);
      }
    }
    out.push(`</g>`);
    if (d.cursor !== null && d.cursor !== undefined) {  // Replay's epoch: a dotted line, a diamond per curve
      const px = X(d.cursor).toFixed(1), marks = [];
      for (const s of lines) {
        const i = s.x.indexOf(d.cursor);
        if (i >= 0 && s.y[i] !== null) {
          const cx = X(d.cursor), cy = Y(s.y[i]), r = 7;
          marks.push(`<path d="M${cx.toFixed(1)} ${(cy - r).toFixed(1)}L${(cx + r).toFixed(1)} ${cy.toFixed(1)}L${cx.toFixed(1)} ${(cy + r).toFixed(1)}L${(cx - r).toFixed(1)} ${cy.toFixed(1)}Z" fill="${s.colour}"/>`);
        }
      }
      out.push(`<g class="at"><line stroke="${d.cursor_colour}" stroke-width="2" stroke-dasharray="3 3" x1="${px}" x2="${px}" y1="${T}" y2="${B}"/>${marks.join("")}</g>`);
    }
    out.push(`<line class="cursor" stroke="currentColor" stroke-opacity="0.45" stroke-width="1" x1="0" x2="0" y1="${T}" y2="${B}" visibility="hidden"/>`);
  }
  // the legend, under the panels: its items placed once drawn (svgPlaceLegend)
  out.push(`<g class="legend">`);
  for (const item of d.legend) {
    out.push(`<g class="item"><line x1="2" x2="28" y1="7" y2="7" stroke="${item.colour}" stroke-width="${item.width}"/>` +
      (item.dots ? `<circle cx="15" cy="7" r="3" fill="${item.colour}"/>` : "") +
      `<text fill="currentColor" x="38" y="7" dy="0.35em">${esc(item.label)}</text></g>`);
  }
  out.push(`</g>`);
  return out.join("");
}

// The index in sorted `xs` (nulls skipped) whose value is nearest `x`, or -1.
function cvNearest(xs, x) {
  let best = -1, gap = Infinity;
  let lo = 0, hi = xs.length - 1;
  while (lo < hi) {  // the first index at or past x
    const mid = (lo + hi) >> 1;
    if (xs[mid] !== null && xs[mid] < x) lo = mid + 1; else hi = mid;
  }
  for (let i = Math.max(0, lo - 1); i <= Math.min(xs.length - 1, lo + 1); i++) {
    if (xs[i] !== null && Math.abs(xs[i] - x) < gap) { best = i; gap = Math.abs(xs[i] - x); }
  }
  return best;
}

function createCurves(root) {
  const svg = root.querySelector("svg.plane");
  let panels = [], hoverAt = null;
  function cursor(x) {  // the hovered x marked in every panel (a thin solid line), as Plotly's spike line
    svg.querySelectorAll("line.cursor").forEach((line, k) => {
      const show = x !== null && panels[k];
      line.setAttribute("visibility", show ? "visible" : "hidden");
      if (show) {
        const px = panels[k].X(x).toFixed(1);
        line.setAttribute("x1", px);
        line.setAttribute("x2", px);
      }
    });
  }
  // The words for the points under (px, py), and the cursor put there. The panel's first curve
  // with a point names the x (its point nearest the pointer); another curve is named where it
  // has a point within 12 px of that x.
  function hover(d, px, py) {
    const at = panels.find((g) => px >= g.L - 4 && px <= g.L + g.w + 4 &&
                                  py >= g.T - 8 && py <= g.T + g.H + 8);
    if (!at) { cursor(null); return null; }
    const x = at.at(px), found = [];
    let headX = null;  // the x the first curve with a point names; the others, within 12 px of it
    at.lines.forEach((s) => {
      const i = cvNearest(s.x, headX === null ? x : headX);
      if (i < 0 || s.y[i] === null) return;
      if (headX !== null && Math.abs(at.X(s.x[i]) - at.X(headX)) > 12) return;
      if (headX === null) headX = s.x[i];
      found.push([s, i]);
    });
    if (!found.length) { cursor(null); return null; }
    const [head, k] = found[0];
    cursor(head.x[k]);
    const where = [`${d.x_title} ${head.x[k]}`];
    if (head.epoch && head.epoch[k] !== null) where.push(`epoch ${head.epoch[k]}`);
    const values = found.map(([s, i]) => `${s.label} ${num(s.y[i], 2)} ${d.unit}` +
      (s.epoch && s.at_epoch_end && s.epoch[i] !== null ? ` at the end of epoch ${s.epoch[i]}` : ""));
    return `${at.p.short ? `${at.p.short} at ` : ""}${where.join(", ")}: ${values.join(" · ")}`;
  }
  const P = svgPicture(root, (d, width) => {
    panels = cvLayout(d, width);
    const last = panels[panels.length - 1];
    svg.innerHTML = cvMarkup(d, panels);
    const top = last.T + last.H + CV.legend;
    const height = top + svgPlaceLegend(svg, panels[0].L, top, width - panels[0].L - CV.right) + 4;
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("height", String(height));
    // the first curve's points (none: the Runs overlay of runs without the metric)
    root.dataset.points = String(panels[0].lines.length ? panels[0].lines[0].x.length : 0);
    if (d.cursor !== null && d.cursor !== undefined) root.dataset.cursor = String(d.cursor);
    else delete root.dataset.cursor;
    if (hoverAt !== null) {  // a redraw while hovered: the tip and the cursor follow the numbers
      const words = hover(d, ...hoverAt);
      if (words === null) P.tip.hidden = true; else P.tip.textContent = words;
    }
  }, (e, d) => {
    const box = svg.getBoundingClientRect();
    hoverAt = [e.clientX - box.left, e.clientY - box.top];
    return hover(d, ...hoverAt);
  });
  svg.addEventListener("pointerleave", () => { hoverAt = null; cursor(null); });
  return P;
}

export default function (component) {
  svgMount(component, createCurves);
}
