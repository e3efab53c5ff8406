// What the Draw component and the latent explorer share (prepended to each after decoder_core.js):
// waiting for the model's payload, the test codes it carries, and the latent plane's mapping from
// z to pixels, with the codes drawn on it as dots coloured by class.

// The payload filed under `id` by decoder_assets.js, now or once it arrives.
function vaeWaitForPayload(id) {
  const reg = vaeRegistry();
  if (reg.payloads.has(id)) return Promise.resolve(reg.payloads.get(id));
  return new Promise((resolve) => {
    const list = reg.waiters.get(id) || [];
    list.push(resolve);
    reg.waiters.set(id, list);
  });
}

// The payload of model `id`, parsed. Should it not arrive, `status` says so after 15 s rather
// than leave a silent blank; `what` names the weights awaited ("model", "decoder").
async function vaeLoadPayload(id, status, what) {
  const timer = setTimeout(() => {
    status.classList.add("error");
    status.textContent = `The ${what}'s weights have not reached the browser yet. ` +
      "Reload the page if this message stays.";
  }, 15000);
  try {
    return vaeParsePayload(await vaeWaitForPayload(id));
  } finally {
    clearTimeout(timer);
  }
}

// The test set's codes behind the plane, from the payload: null when it carries none.
function vaeScatter(parsed) {
  const sc = parsed.header.scatter;
  return sc ? { n: sc.n, dims: sc.dims, mu: parsed.f32(sc.mu), labels: parsed.u8(sc.labels) }
            : null;
}

// A signed number with two decimals and a true minus sign, as the readouts show z.
function vaeSigned(v) {
  return (v >= 0 ? "+" : "−") + Math.abs(v).toFixed(2);
}

// Where v falls on a square plane of `size` pixels showing [lo, hi]: from the left, or from the
// top when flip (z grows upward). One mapping for both axes keeps a unit of z as long across as
// up, so the prior's rings are circles.
function vaePlaneToPx(v, lo, hi, size, flip) {
  const t = (v - lo) / (hi - lo);
  return (flip ? 1 - t : t) * size;
}

// The codes' dims (dx, dy) as dots at `toPx(v, flip)`, coloured by class; leaves `alpha` set.
function vaeDrawScatter(g, scatter, dx, dy, toPx, colors, alpha, radius) {
  const { mu, labels, dims, n } = scatter;
  g.globalAlpha = alpha;
  for (let i = 0; i < n; i++) {
    g.fillStyle = colors[labels[i] % colors.length];
    g.beginPath();
    g.arc(toPx(mu[i * dims + dx], false), toPx(mu[i * dims + dy], true), radius, 0, 2 * Math.PI);
    g.fill();
  }
}


// A component's entry point: build its state once per element (kept on the element under `key`),
// then hand it each new message; a failure is said in the component's status line.
function vaeMount(component, selector, key, create, what) {
  const { data, parentElement, setStateValue } = component;
  const root = parentElement.querySelector(selector);
  if (!root || !data) return;
  if (!root[key]) root[key] = create(root);
  const S = root[key];
  S.setStateValue = setStateValue;
  S.update(data).catch((err) => {
    const status = root.querySelector(".status");
    status.classList.add("error");
    status.textContent = "The browser " + what + " could not start: " + err.message;
  });
}

// A new model's payload for a component (`what`: the status line's word, `kind`: the payload's),
// or null when a newer model arrived while this one loaded.
async function vaeLoadModel(S, data, root, status, what, kind) {
  S.modelId = data.model;
  root.dataset.ready = "0";
  status.classList.remove("error");
  status.textContent = "Loading the " + what + "…";
  const parsed = await vaeLoadPayload(data.model, status, kind);
  return S.modelId === data.model ? parsed : null;
}
