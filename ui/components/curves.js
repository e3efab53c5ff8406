// The Train page's loss curves, drawn as one SVG in the browser (after svg_common.js): three
// panels (reconstruction, KL, -ELBO) against the step, train as a thin line (every logged step)
// and test as a line with a dot at each epoch's end. Python sends plain numbers
// (ui.figures.curves.curves_view); while a run trains it sends new ones every second and the
// element redraws in place, where a Plotly chart would be sent whole and mounted anew.

const CV_TICK = `fill="currentColor" fill-opacity="0.7"`;
const CV_RULE = `stroke="currentColor" stroke-opacity="0.12"`;
const CV = { left: 58, right: 12, top: 30, plot: 300, gap: 50, below: 70 };

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

// Where each panel sits for this width: its left edge and its scales.
function cvLayout(d, width) {
  const n = d.panels.length;
  const w = Math.max(80, (width - CV.left - CV.right - (n - 1) * CV.gap) / n);
  const [x0, x1] = d.x_range;
  return d.panels.map((p, k) => {
    const L = CV.left + k * (w + CV.gap), [y0, y1] = p.y_range;
    return { p, L, w, X: (v) => L + ((v - x0) / (x1 - x0)) * w,
             Y: (v) => CV.top + CV.plot - ((v - y0) / (y1 - y0)) * CV.plot,
             step: (px) => x0 + ((px - L) / w) * (x1 - x0) };
  });
}

function cvMarkup(d, panels) {
  const c = d.colours, T = CV.top, B = CV.top + CV.plot, out = [];
  for (const { p, L, w, X, Y } of panels) {
    out.push(`<text fill="currentColor" x="${(L + w / 2).toFixed(1)}" y="${T - 12}" text-anchor="middle" font-size="13">${esc(p.name)}</text>`);
    for (const [v, label] of p.y_ticks) {
      const py = Y(v).toFixed(1);
      out.push(`<line ${CV_RULE} x1="${L}" x2="${(L + w).toFixed(1)}" y1="${py}" y2="${py}"/>` +
        `<text ${CV_TICK} x="${L - 6}" y="${py}" dy="0.35em" text-anchor="end">${esc(label)}</text>`);
    }
    for (const [v, label] of d.x_ticks) {
      const px = X(v).toFixed(1);
      out.push(`<line ${CV_RULE} x1="${px}" x2="${px}" y1="${T}" y2="${B}"/>` +
        `<text ${CV_TICK} x="${px}" y="${B + 16}" text-anchor="middle">${esc(label)}</text>`);
    }
    out.push(`<text fill="currentColor" x="${(L + w / 2).toFixed(1)}" y="${B + 34}" text-anchor="middle">${esc(d.x_title)}</text>`);
    out.push(`<g class="lines" data-part="${esc(p.part)}">` +
      `<path class="train" d="${cvPath(d.train.step, d.train[p.part], X, Y)}" fill="none" stroke="${c.train}" stroke-width="1.5" stroke-linejoin="round"/>` +
      `<path class="test" d="${cvPath(d.test.step, d.test[p.part], X, Y)}" fill="none" stroke="${c.test}" stroke-width="2" stroke-linejoin="round"/>`);
    const dots = [];
    d.test.step.forEach((s, i) => {
      const v = d.test[p.part][i];
      if (s !== null && v !== null) dots.push(`<circle cx="${X(s).toFixed(1)}" cy="${Y(v).toFixed(1)}" r="3"/>`);
    });
    out.push(`<g fill="${c.test}">${dots.join("")}</g></g>`);
    out.push(`<line class="cursor" stroke="currentColor" stroke-opacity="0.5" stroke-dasharray="3 3" x1="0" x2="0" y1="${T}" y2="${B}" visibility="hidden"/>`);
  }
  const first = panels[0];
  out.push(`<text fill="currentColor" transform="translate(14 ${(T + CV.plot / 2).toFixed(1)}) rotate(-90)" text-anchor="middle">${esc(d.y_title)}</text>`);
  const ly = B + 56, lx = first ? first.L : CV.left;  // the legend, under the panels
  out.push(`<g class="legend">` +
    `<line x1="${lx}" x2="${lx + 28}" y1="${ly}" y2="${ly}" stroke="${c.train}" stroke-width="1.5"/>` +
    `<text fill="currentColor" x="${lx + 36}" y="${ly}" dy="0.35em">train (every logged step)</text>` +
    `<line x1="${lx + 210}" x2="${lx + 238}" y1="${ly}" y2="${ly}" stroke="${c.test}" stroke-width="2"/>` +
    `<circle cx="${lx + 224}" cy="${ly}" r="3" fill="${c.test}"/>` +
    `<text fill="currentColor" x="${lx + 246}" y="${ly}" dy="0.35em">test (each epoch's end)</text></g>`);
  return out.join("");
}

// The index in sorted `xs` (nulls skipped) whose value is nearest `x`, or -1.
function cvNearest(xs, x) {
  let best = -1, gap = Infinity;
  let lo = 0, hi = xs.length - 1;
  while (lo < hi) {  // the first index at or past x; nulls only at the ends of a broken log
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
  let panels = [], hoverPx = null;
  function cursor(step) {  // the hovered step marked in every panel, as Plotly's spike line
    svg.querySelectorAll("line.cursor").forEach((line, k) => {
      const show = step !== null && panels[k];
      line.setAttribute("visibility", show ? "visible" : "hidden");
      if (show) {
        const px = panels[k].X(step).toFixed(1);
        line.setAttribute("x1", px);
        line.setAttribute("x2", px);
      }
    });
  }
  function hover(d, px) {  // the words for the point under `px`, and the cursor put there
    const at = panels.find((g) => px >= g.L - 4 && px <= g.L + g.w + 4);
    if (!at) { cursor(null); return null; }
    const part = at.p.part, s = at.step(px);
    const i = cvNearest(d.train.step, s), j = cvNearest(d.test.step, s);
    const trainNear = i >= 0 && d.train[part][i] !== null;
    const testNear = j >= 0 && d.test[part][j] !== null &&
      Math.abs(at.X(d.test.step[j]) - px) <= 12;
    if (!trainNear && !testNear) { cursor(null); return null; }
    // named by the train point (every logged step), the test point beside it by its epoch
    const src = trainNear ? d.train : d.test, k = trainNear ? i : j;
    cursor(src.step[k]);
    const values = [];
    if (trainNear) values.push(`train ${num(d.train[part][i], 2)} nats`);
    if (testNear) values.push(`test ${num(d.test[part][j], 2)} nats at the end of epoch ${d.test.epoch[j]}`);
    return `${at.p.short} at step ${src.step[k]}, epoch ${src.epoch[k]}: ${values.join(" · ")}`;
  }
  const P = svgPicture(root, (d, width) => {
    panels = cvLayout(d, width);
    const height = CV.top + CV.plot + CV.below;
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("height", String(height));
    svg.innerHTML = cvMarkup(d, panels);
    root.dataset.points = String(d.train.step.length);
    if (hoverPx !== null) hover(d, hoverPx);  // a redraw while hovered keeps the cursor
  }, (e, d) => {
    hoverPx = e.clientX - svg.getBoundingClientRect().left;
    return hover(d, hoverPx);
  });
  svg.addEventListener("pointerleave", () => { hoverPx = null; cursor(null); });
  return P;
}

export default function (component) {
  svgMount(component, createCurves);
}
