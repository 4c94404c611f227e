// The stored form of one photo's K summary tokens: a small self-describing header, then the fp16 payload.
// Pure: no browser or Node APIs; the Node CLI writes and reads the same bytes.
//
// Layout (all integers little-endian):
//   offset  size  field
//   0       4     magic "F2BT"
//   4       2     format version (u16) = 1
//   6       1     dtype (u8): 1 = fp16 (IEEE 754 binary16, little-endian)
//   7       1     model id length L in bytes (u8), 1..64
//   8       4     K (u32), summary tokens, 1..MAX_K
//   12      4     d (u32), hidden size, 1..MAX_D
//   16      L     model id, UTF-8
//   16+L    pad   zero bytes up to the next multiple of 8 (so the payload is aligned)
//   P       2*K*d payload: (K, d) row-major fp16 bits
// The total length is exactly P + 2*K*d; anything else is an error (no trailing bytes).

export const TOKEN_MAGIC = 'F2BT';
export const TOKEN_FORMAT_VERSION = 1;
export const DTYPE_FP16 = 1;
export const MAX_MODEL_ID_BYTES = 64;
export const MAX_K = 4096;
export const MAX_D = 65536;
/** Upper bound on K*d (32 MiB of fp16), checked before anything is allocated. */
export const MAX_TOKEN_ELEMENTS = 1 << 24;
const HEADER_BYTES = 16;

export type TokenFormatProblem =
  | 'truncated' | 'bad-magic' | 'unsupported-version' | 'bad-dtype' | 'bad-model-id'
  | 'bad-shape' | 'too-large' | 'bad-padding' | 'trailing-bytes';

/** The bytes are not a valid stored token tensor. `problem` says which check failed. */
export class TokenFormatError extends Error {
  override readonly name = 'TokenFormatError';
  constructor(readonly problem: TokenFormatProblem, detail: string) {
    super(`Stored summary tokens are unreadable (${problem}): ${detail}. Re-index this photo to rebuild them.`);
  }
}

/** Decoded tokens: `data` is (K, d) row-major fp16 bits. */
export interface StoredTokens {
  formatVersion: number;
  modelId: string;
  K: number;
  d: number;
  data: Uint16Array; // (K, d) fp16 bits
}

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function payloadOffset(modelIdBytes: number): number {
  return (HEADER_BYTES + modelIdBytes + 7) & ~7;
}

/** Checks a model id: non-empty, at most MAX_MODEL_ID_BYTES of UTF-8. Returns its UTF-8 bytes. */
export function modelIdBytes(modelId: string): Uint8Array {
  const bytes = utf8.encode(modelId);
  if (bytes.length === 0 || bytes.length > MAX_MODEL_ID_BYTES) {
    throw new TokenFormatError('bad-model-id', `model id must be 1..${MAX_MODEL_ID_BYTES} bytes of UTF-8, got ${bytes.length}`);
  }
  return bytes;
}

function checkShape(K: number, d: number): void {
  if (!Number.isInteger(K) || K < 1 || K > MAX_K) throw new TokenFormatError('bad-shape', `K=${K} is outside 1..${MAX_K}`);
  if (!Number.isInteger(d) || d < 1 || d > MAX_D) throw new TokenFormatError('bad-shape', `d=${d} is outside 1..${MAX_D}`);
  if (K * d > MAX_TOKEN_ELEMENTS) throw new TokenFormatError('too-large', `K*d=${K * d} exceeds ${MAX_TOKEN_ELEMENTS}`);
}

/** Encodes (K, d) fp16 bits into the stored format. Returns a fresh, exactly sized Uint8Array. */
export function encodeTokens(t: { modelId: string; K: number; d: number; data: Uint16Array }): Uint8Array<ArrayBuffer> {
  checkShape(t.K, t.d);
  if (t.data.length !== t.K * t.d) {
    throw new TokenFormatError('bad-shape', `payload has ${t.data.length} values, (K, d) = (${t.K}, ${t.d}) needs ${t.K * t.d}`);
  }
  const id = modelIdBytes(t.modelId);
  const p = payloadOffset(id.length);
  const out = new Uint8Array(p + 2 * t.data.length);
  const dv = new DataView(out.buffer);
  out.set(utf8.encode(TOKEN_MAGIC), 0);
  dv.setUint16(4, TOKEN_FORMAT_VERSION, true);
  dv.setUint8(6, DTYPE_FP16);
  dv.setUint8(7, id.length);
  dv.setUint32(8, t.K, true);
  dv.setUint32(12, t.d, true);
  out.set(id, HEADER_BYTES);
  if (littleEndian) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), p);
  else for (let i = 0; i < t.data.length; i++) dv.setUint16(p + 2 * i, t.data[i], true);
  return out;
}

/** Reads only the header (magic, version, dtype, model id, K, d) and checks the total length. */
export function readTokenHeader(bytes: Uint8Array): Omit<StoredTokens, 'data'> & { payloadOffset: number } {
  if (bytes.length < HEADER_BYTES) throw new TokenFormatError('truncated', `${bytes.length} bytes is shorter than the ${HEADER_BYTES}-byte header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
  if (magic !== TOKEN_MAGIC) throw new TokenFormatError('bad-magic', `expected "${TOKEN_MAGIC}", found ${JSON.stringify(magic)}`);
  const formatVersion = dv.getUint16(4, true);
  if (formatVersion !== TOKEN_FORMAT_VERSION) {
    throw new TokenFormatError('unsupported-version', `format version ${formatVersion}; this app reads version ${TOKEN_FORMAT_VERSION}`);
  }
  const dtype = dv.getUint8(6);
  if (dtype !== DTYPE_FP16) throw new TokenFormatError('bad-dtype', `dtype code ${dtype}; only ${DTYPE_FP16} (fp16) is defined`);
  const idLen = dv.getUint8(7);
  if (idLen === 0 || idLen > MAX_MODEL_ID_BYTES) throw new TokenFormatError('bad-model-id', `model id length ${idLen} is outside 1..${MAX_MODEL_ID_BYTES}`);
  const K = dv.getUint32(8, true);
  const d = dv.getUint32(12, true);
  checkShape(K, d); // before anything sized by K*d
  const p = payloadOffset(idLen);
  const total = p + 2 * K * d;
  if (bytes.length < total) throw new TokenFormatError('truncated', `${bytes.length} bytes, header (K=${K}, d=${d}) needs ${total}`);
  if (bytes.length > total) throw new TokenFormatError('trailing-bytes', `${bytes.length - total} bytes after the (${K}, ${d}) payload`);
  let modelId: string;
  try {
    modelId = utf8Strict.decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + idLen));
  } catch {
    throw new TokenFormatError('bad-model-id', 'model id is not valid UTF-8');
  }
  for (let i = HEADER_BYTES + idLen; i < p; i++) {
    if (bytes[i] !== 0) throw new TokenFormatError('bad-padding', `padding byte at offset ${i} is ${bytes[i]}, expected 0`);
  }
  return { formatVersion, modelId, K, d, payloadOffset: p };
}

/**
 * Decodes and validates stored tokens. `expectModelId`, when given, must match the header (a mismatch is a
 * 'bad-model-id' error: callers that want "stale" instead compare `readTokenHeader(...).modelId` first).
 * The returned `data` is a copy that owns its buffer.
 */
export function decodeTokens(input: Uint8Array | ArrayBuffer, expectModelId?: string): StoredTokens {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const h = readTokenHeader(bytes);
  if (expectModelId !== undefined && h.modelId !== expectModelId) {
    throw new TokenFormatError('bad-model-id', `tokens belong to model "${h.modelId}", expected "${expectModelId}"`);
  }
  const n = h.K * h.d;
  const data = new Uint16Array(n);
  if (littleEndian) {
    new Uint8Array(data.buffer).set(bytes.subarray(h.payloadOffset, h.payloadOffset + 2 * n));
  } else {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < n; i++) data[i] = dv.getUint16(h.payloadOffset + 2 * i, true);
  }
  return { formatVersion: h.formatVersion, modelId: h.modelId, K: h.K, d: h.d, data };
}
