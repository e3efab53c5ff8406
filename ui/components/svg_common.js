// What the explanation's SVG components share (prepended to each): escaping words for markup,
// numbers with a true minus sign, and the picture saved as an .svg file.

const SVG_NS = "http://www.w3.org/2000/svg";

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
  clone.setAttribute("style", `color: ${cs.color}; font-family: ${cs.fontFamily}; font-size: 12px`);
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

