// Receives the decoder payload (raw bytes) and files it in a page-global registry under the id in
// its header, where every latent explorer on the page finds it. No markup of its own.
export default function ({ data }) {
  if (!data || !data.byteLength) return;
  if (!window.__vaeDecoders) window.__vaeDecoders = { payloads: new Map(), waiters: new Map() };
  const reg = window.__vaeDecoders;
  const u8 = data instanceof Uint8Array ? data : new Uint8Array(data);
  const n = new DataView(u8.buffer, u8.byteOffset, u8.byteLength).getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(u8.subarray(8, 8 + n)));
  if (reg.payloads.has(header.id)) return;
  reg.payloads.set(header.id, u8.slice());
  for (const resolve of reg.waiters.get(header.id) || []) resolve(reg.payloads.get(header.id));
  reg.waiters.delete(header.id);
}
