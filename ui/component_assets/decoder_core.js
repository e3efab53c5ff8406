// The VAE decoder in plain JavaScript, read from the payload that ui/decoder_component.py writes:
// b"VAEW", uint32 header length, JSON header, float32 blobs. Each layer's output is stored in a
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

function vaeMakeDecoder(parsed) {
  const { header, f32 } = parsed;
  const steps = [];
  let len = header.latent_dim;
  let chw = null;
  for (const L of header.layers) {
    if (L.type === "linear") {
      steps.push({ kind: "linear", W: f32(L.weight), b: f32(L.bias), nin: L.in, nout: L.out,
                   out: new Float32Array(L.out) });
      len = L.out;
    } else if (L.type === "relu") {
      steps.push({ kind: "relu" });
    } else if (L.type === "unflatten") {
      chw = L.shape;
    } else if (L.type === "flatten") {
      chw = null;
    } else if (L.type === "conv_transpose2d") {
      const [cin, hin, win] = chw;
      const [kh, kw] = L.kernel, [sh, sw] = L.stride, [ph, pw] = L.padding;
      const hout = (hin - 1) * sh - 2 * ph + kh, wout = (win - 1) * sw - 2 * pw + kw;
      const cout = L.out_ch;
      steps.push({ kind: "convT", W: f32(L.weight), b: f32(L.bias), cin, hin, win, cout, hout,
                   wout, kh, kw, sh, sw, ph, pw, acc: new Float64Array(cout * hout * wout),
                   out: new Float32Array(cout * hout * wout) });
      chw = [cout, hout, wout];
      len = cout * hout * wout;
    } else {
      throw new Error("unknown decoder layer " + L.type);
    }
  }
  const nOut = len;
  const zin = new Float32Array(header.latent_dim);
  const mean = new Float64Array(nOut);

  function decode(z) {
    for (let i = 0; i < zin.length; i++) zin[i] = z[i];
    let x = zin;
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
    for (let i = 0; i < nOut; i++) mean[i] = 1 / (1 + Math.exp(-x[i]));
    return mean;
  }

  const describe = header.layers.filter((L) => L.type === "linear" || L.type === "conv_transpose2d")
    .map((L) => (L.type === "linear" ? L.out : L.out_ch + "ch"));
  const weightBytes = 4 * header.layers.reduce(
    (n, L) => n + (L.weight ? L.weight[1] + L.bias[1] : 0), 0);
  return { decode, mean, header, bytes: parsed.bytes, weightBytes,
           summary: header.arch + " " + [header.latent_dim, ...describe].join("→") };
}

function vaeRegistry() {
  if (!window.__vaeDecoders) window.__vaeDecoders = { payloads: new Map(), waiters: new Map() };
  return window.__vaeDecoders;
}
