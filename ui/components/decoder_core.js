// The VAE decoder (and, when the payload carries it, the encoder) in plain JavaScript, read from
// the payload that ui/components/decoder.py writes: b"VAEW", uint32 header length, JSON header,
// float32 blobs. Each layer's output is stored in a
// Float32Array (rounded to float32, as torch's are) and sums are accumulated in float64, so the
// result matches torch's decode_mean within float32 rounding.

function vaeParsePayload(bytes) {
  // A copy, so the Float32Array views start 4-byte aligned whatever the message buffer was.
  const u8 = Uint8Array.from(bytes);
  const buf = u8.buffer;
  if (String.fromCharCode(u8[0], u8[1], u8[2], u8[3]) !== "VAEW") {
    throw new Error("not a decoder payload");
  }
  const n = new DataView(buf).getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(u8.subarray(8, 8 + n)));
  const base = 8 + n;
  return {
    header,
    bytes: u8.byteLength,
    f32: (ref) => new Float32Array(buf, base + ref[0], ref[1]),
    u8: (ref) => new Uint8Array(buf, base + ref[0], ref[1]),
  };
}

// A stack of layers as the payload lists them (linear, relu, flatten, unflatten, conv2d,
// conv_transpose2d), compiled once into steps with preallocated buffers. `run(x)` returns the last
// layer's output (a Float32Array the next call overwrites). `chw` is the input's (C, H, W) when it
// is an image (the encoder's), null when it is a vector (the decoder's z).
function vaeMakeLayers(layers, f32, inputLen, chw) {
  const steps = [];
  let len = inputLen;
  for (const L of layers) {
    if (L.type === "linear") {
      steps.push({ kind: "linear", W: f32(L.weight), b: f32(L.bias), nin: L.in, nout: L.out,
                   out: new Float32Array(L.out) });
      len = L.out;
      chw = null;
    } else if (L.type === "relu") {
      steps.push({ kind: "relu" });
    } else if (L.type === "unflatten") {
      chw = L.shape;
    } else if (L.type === "flatten") {
      chw = null;
    } else if (L.type === "conv2d" || L.type === "conv_transpose2d") {
      const [cin, hin, win] = chw;
      const [kh, kw] = L.kernel, [sh, sw] = L.stride, [ph, pw] = L.padding;
      const transposed = L.type === "conv_transpose2d";
      const hout = transposed ? (hin - 1) * sh - 2 * ph + kh : Math.floor((hin + 2 * ph - kh) / sh) + 1;
      const wout = transposed ? (win - 1) * sw - 2 * pw + kw : Math.floor((win + 2 * pw - kw) / sw) + 1;
      const cout = L.out_ch;
      steps.push({ kind: transposed ? "convT" : "conv", W: f32(L.weight), b: f32(L.bias), cin, hin,
                   win, cout, hout, wout, kh, kw, sh, sw, ph, pw,
                   acc: new Float64Array(cout * hout * wout), out: new Float32Array(cout * hout * wout) });
      chw = [cout, hout, wout];
      len = cout * hout * wout;
    } else {
      throw new Error("unknown layer " + L.type);
    }
  }
  const input = new Float32Array(inputLen);

  function run(source) {
    for (let i = 0; i < inputLen; i++) input[i] = source[i];
    let x = input;
    for (const s of steps) {
      if (s.kind === "linear") {
        const { W, b, nin, nout, out } = s;
        for (let o = 0; o < nout; o++) {
          let acc = b[o];
          const row = o * nin;
          for (let i = 0; i < nin; i++) acc += W[row + i] * x[i];
          out[o] = acc;
        }
        x = out;
      } else if (s.kind === "relu") {
        for (let i = 0; i < x.length; i++) if (x[i] < 0) x[i] = 0;
      } else if (s.kind === "conv") {
        // out[oc, oy, ox] = b[oc] + sum W[oc, ic, ky, kx] x[ic, oy*sh - ph + ky, ox*sw - pw + kx]
        const { W, b, cin, hin, win, cout, hout, wout, kh, kw, sh, sw, ph, pw, acc, out } = s;
        for (let oc = 0; oc < cout; oc++) {
          for (let oy = 0; oy < hout; oy++) {
            for (let ox = 0; ox < wout; ox++) {
              let a = b[oc];
              for (let ic = 0; ic < cin; ic++) {
                const wbase = (oc * cin + ic) * kh * kw;
                const xbase = ic * hin * win;
                for (let ky = 0; ky < kh; ky++) {
                  const iy = oy * sh - ph + ky;
                  if (iy < 0 || iy >= hin) continue;
                  for (let kx = 0; kx < kw; kx++) {
                    const ix = ox * sw - pw + kx;
                    if (ix < 0 || ix >= win) continue;
                    a += W[wbase + ky * kw + kx] * x[xbase + iy * win + ix];
                  }
                }
              }
              acc[(oc * hout + oy) * wout + ox] = a;
            }
          }
        }
        out.set(acc);
        x = out;
      } else {
        const { W, b, cin, hin, win, cout, hout, wout, kh, kw, sh, sw, ph, pw, acc, out } = s;
        const plane = hout * wout;
        for (let oc = 0; oc < cout; oc++) acc.fill(b[oc], oc * plane, (oc + 1) * plane);
        for (let ic = 0; ic < cin; ic++) {
          for (let iy = 0; iy < hin; iy++) {
            for (let ix = 0; ix < win; ix++) {
              const v = x[(ic * hin + iy) * win + ix];
              if (v === 0) continue;
              for (let oc = 0; oc < cout; oc++) {
                const wbase = (ic * cout + oc) * kh * kw;
                const abase = oc * plane;
                for (let ky = 0; ky < kh; ky++) {
                  const oy = iy * sh - ph + ky;
                  if (oy < 0 || oy >= hout) continue;
                  for (let kx = 0; kx < kw; kx++) {
                    const ox = ix * sw - pw + kx;
                    if (ox < 0 || ox >= wout) continue;
                    acc[abase + oy * wout + ox] += v * W[wbase + ky * kw + kx];
                  }
                }
              }
            }
          }
        }
        out.set(acc);
        x = out;
      }
    }
    return x;
  }

  return { run, outLen: len };
}

function vaeWeightBytes(layers) {
  return 4 * layers.reduce((n, L) => n + (L.weight ? L.weight[1] + L.bias[1] : 0), 0);
}

function vaeMakeDecoder(parsed) {
  const { header, f32 } = parsed;
  const net = vaeMakeLayers(header.layers, f32, header.latent_dim, null);
  const nOut = net.outLen;
  const mean = new Float64Array(nOut);

  function decode(z) {
    const x = net.run(z);
    for (let i = 0; i < nOut; i++) mean[i] = 1 / (1 + Math.exp(-x[i]));
    return mean;
  }

  const describe = header.layers.filter((L) => L.type === "linear" || L.type === "conv_transpose2d")
    .map((L) => (L.type === "linear" ? L.out : L.out_ch + "ch"));
  return { decode, mean, header, bytes: parsed.bytes, weightBytes: vaeWeightBytes(header.layers),
           summary: header.arch + " " + [header.latent_dim, ...describe].join("→") };
}

// The encoder, when the payload carries one (header.encoder): the trunk, then two linear heads
// for mu and log sigma^2; sigma = exp(0.5 log sigma^2), as vae/model.py's Posterior.std.
function vaeMakeEncoder(parsed) {
  const { header, f32 } = parsed;
  const E = header.encoder;
  if (!E) throw new Error("this payload carries no encoder");
  const [c, h, w] = header.image_shape;
  const trunk = vaeMakeLayers(E.layers, f32, c * h * w, [c, h, w]);
  const heads = [E.mu, E.logvar].map((L) => vaeMakeLayers([{ type: "linear", ...L }], f32, L.in, null));
  const D = header.latent_dim;
  const mu = new Float64Array(D), logvar = new Float64Array(D), sigma = new Float64Array(D);

  function encode(x) {
    const feat = trunk.run(x);
    const m = heads[0].run(feat), lv = heads[1].run(feat);
    for (let d = 0; d < D; d++) {
      mu[d] = m[d];
      logvar[d] = lv[d];
      sigma[d] = Math.exp(0.5 * lv[d]);
    }
    return { mu, logvar, sigma };
  }

  const describe = E.layers.filter((L) => L.type === "linear" || L.type === "conv2d")
    .map((L) => (L.type === "linear" ? L.out : L.out_ch + "ch"));
  return { encode, mu, logvar, sigma,
           weightBytes: vaeWeightBytes([...E.layers, E.mu, E.logvar]),
           summary: header.arch + " " + [c * h * w, ...describe, "2×" + D].join("→") };
}

function vaeRegistry() {
  if (!window.__vaeDecoders) window.__vaeDecoders = { payloads: new Map(), waiters: new Map() };
  return window.__vaeDecoders;
}
