// The whole photo library as one file ("*.f2blib"): what "Export library" writes and "Import library" reads,
// and what the Node CLI writes. Pure: no browser or Node APIs (input is any random-access ByteSource).
//
// Layout (all integers little-endian):
//   header  (16 B)  magic "F2BL" | u32 format version (1) | u32 flags (0) | u32 reserved (0)
//   blobs           the binary parts, each starting at a multiple of 8 (zero padding between):
//                     tokens      tokenCodec bytes ("F2BT" header + (K, d) fp16)   one per (photo, model)
//                     embeddings  (d,) fp16 bits                                   one per (photo, model)
//                     thumbnails  encoded image bytes (e.g. JPEG)                  one per photo
//                     originals   the original file (optional: only if the export included them)
//   manifest        UTF-8 JSON (LibraryManifest): every photo's record and where its blobs are
//                   ({offset, length, crc32}), the chats, the settings
//   trailer (24 B)  u32 manifest offset (low) | u32 manifest offset (high) | u32 manifest length |
//                   u32 crc32 of the manifest | magic "F2BE" | u32 format version
// The manifest goes last so a writer can stream blobs without knowing their sizes in advance.
//
// The file is untrusted input. The reader checks magic, version and trailer, bounds every declared offset,
// length and count against the file size and LibraryLimits BEFORE allocating, checks each blob's crc32 and
// decodes tokens with tokenCodec. Broken entries are skipped and reported (SkippedItem), never half imported;
// only a broken header, trailer or manifest fails the whole file (LibraryFileError).

import { crc32 } from './crc32';
import { PHOTO_ID_PATTERN, PHOTO_STATUSES, type ChatRecord, type PhotoRecord, type Settings } from './records';
import { meanEmbedding } from './embedding';
import { MAX_D, MAX_MODEL_ID_BYTES, MAX_TOKEN_ELEMENTS, decodeTokens } from './tokenCodec';

export const LIBRARY_MAGIC = 'F2BL';
export const LIBRARY_END_MAGIC = 'F2BE';
export const LIBRARY_FORMAT_VERSION = 1;
export const LIBRARY_FORMAT_NAME = 'fwd2bot-library';
export const LIBRARY_FILE_EXTENSION = '.f2blib';
export const LIBRARY_MIME_TYPE = 'application/x-fwd2bot-library';
const HEADER_BYTES = 16;
const TRAILER_BYTES = 24;
const ALIGN = 8;

export interface LibraryLimits {
  maxManifestBytes: number;
  maxPhotos: number;
  maxChats: number;
  maxTurnsPerChat: number;
  maxTextChars: number; // chat turn text, fail reasons
  maxNameChars: number; // file names, MIME types, ids
  maxModelsPerPhoto: number;
  maxThumbnailBytes: number;
  maxTokenBytes: number;
  maxOriginalBytes: number;
}

export const DEFAULT_LIBRARY_LIMITS: Readonly<LibraryLimits> = {
  maxManifestBytes: 256 * 2 ** 20,
  maxPhotos: 1_000_000,
  maxChats: 1_000_000,
  maxTurnsPerChat: 10_000,
  maxTextChars: 1_000_000,
  maxNameChars: 1024,
  maxModelsPerPhoto: 16,
  maxThumbnailBytes: 16 * 2 ** 20,
  maxTokenBytes: 16 + MAX_MODEL_ID_BYTES + ALIGN + 2 * MAX_TOKEN_ELEMENTS,
  maxOriginalBytes: 1024 * 2 ** 20,
};

export type LibraryFileProblem =
  | 'truncated' | 'bad-magic' | 'unsupported-version' | 'bad-trailer' | 'bad-manifest' | 'too-large' | 'checksum'
  | 'invalid-entry' | 'writer-state';

/** The file as a whole cannot be read (or written). `problem` says which check failed. */
export class LibraryFileError extends Error {
  override readonly name = 'LibraryFileError';
  constructor(readonly problem: LibraryFileProblem, detail: string) {
    super(`This is not a readable fwd2bot library file (${problem}): ${detail}. ` +
      `Choose a file written by "Export library" (${LIBRARY_FILE_EXTENSION}) or by the fwd2bot CLI.`);
  }
}

/** Something the reader left out, and why. */
export interface SkippedItem {
  kind: 'photo' | 'thumbnail' | 'tokens' | 'embedding' | 'original' | 'chat' | 'settings';
  id?: string; // photo id or chat id, when known
  modelId?: string;
  reason: string;
}

/** Where a blob lies in the file. */
export interface BlobRef {
  offset: number; // from the start of the file, multiple of 8
  length: number; // bytes
  crc32: number; // of those bytes
}

export interface ManifestPhoto {
  photo: PhotoRecord;
  thumbnail?: BlobRef & { type: string; width: number; height: number };
  tokens: (BlobRef & { modelId: string })[];
  embeddings: (BlobRef & { modelId: string; d: number })[];
  original?: BlobRef & { type: string };
}

export interface LibraryManifest {
  format: typeof LIBRARY_FORMAT_NAME;
  version: number;
  createdAt: string; // ISO 8601
  generator: string; // e.g. "fwd2bot-web 0.1.0" or "fwd2bot-cli 0.1.0"
  photos: ManifestPhoto[];
  chats: ChatRecord[];
  settings: Partial<Settings>;
}

/** One photo with all its bytes: the writer's input and the reader's output. */
export interface LibraryPhotoData {
  photo: PhotoRecord;
  thumbnail?: { type: string; width: number; height: number; bytes: Uint8Array };
  tokens: { modelId: string; bytes: Uint8Array }[]; // tokenCodec bytes
  embeddings: { modelId: string; d: number; vector: Uint16Array }[]; // (d,) fp16 bits
  original?: { type: string; bytes: Uint8Array };
}

/** Random access to the file's bytes: a Uint8Array, a Blob, a Node file handle. */
export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read: async (offset, length) => {
      if (offset < 0 || offset + length > bytes.length) throw new LibraryFileError('truncated', `read of ${length} bytes at ${offset} is past the end (${bytes.length})`);
      return bytes.subarray(offset, offset + length);
    },
  };
}

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function fp16Bytes(v: Uint16Array): Uint8Array {
  if (littleEndian) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  const out = new Uint8Array(v.byteLength);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < v.length; i++) dv.setUint16(2 * i, v[i], true);
  return out;
}

function fp16FromBytes(b: Uint8Array): Uint16Array {
  const out = new Uint16Array(b.length / 2);
  if (littleEndian) new Uint8Array(out.buffer).set(b);
  else {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let i = 0; i < out.length; i++) out[i] = dv.getUint16(2 * i, true);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Validation of untrusted JSON values. Each returns a clean copy holding only known fields, or a reason string.

type Json = Record<string, unknown>;
const isObj = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);
const isStr = (x: unknown, max: number): x is string => typeof x === 'string' && x.length <= max;
const isNat = (x: unknown, max = Number.MAX_SAFE_INTEGER): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= max;
const isTime = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && Math.abs(x) <= 8.64e15;
const CAPTURED_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}([+-]\d{2}:\d{2})?$/;

function validModelId(x: unknown): x is string {
  if (typeof x !== 'string' || x.length === 0 || x.length > MAX_MODEL_ID_BYTES) return false;
  return utf8.encode(x).length <= MAX_MODEL_ID_BYTES;
}

/** Checks a photo record (from a file, or before writing one). */
export function validatePhotoRecord(x: unknown, limits: LibraryLimits = DEFAULT_LIBRARY_LIMITS): PhotoRecord | string {
  if (!isObj(x)) return 'photo record is not an object';
  if (typeof x.id !== 'string' || !PHOTO_ID_PATTERN.test(x.id)) return 'id is not a 64-character SHA-256 hex string';
  if (!isStr(x.name, limits.maxNameChars)) return 'name is missing or too long';
  if (!isStr(x.type, limits.maxNameChars)) return 'type is missing or too long';
  if (!isNat(x.byteSize)) return 'byteSize is not a non-negative integer';
  if (!isNat(x.width, 1 << 20) || !isNat(x.height, 1 << 20)) return 'width/height are not integers in 0..2^20';
  if (!isTime(x.addedAt)) return 'addedAt is not a time';
  if (x.capturedAt !== undefined && (typeof x.capturedAt !== 'string' || !CAPTURED_AT.test(x.capturedAt))) return 'capturedAt is not "YYYY-MM-DDTHH:MM:SS"';
  if (!PHOTO_STATUSES.includes(x.status as PhotoRecord['status'])) return `status ${JSON.stringify(x.status)} is unknown`;
  if (x.failReason !== undefined && !isStr(x.failReason, limits.maxTextChars)) return 'failReason is not a string';
  if (x.modelId !== undefined && !validModelId(x.modelId)) return 'modelId is not 1..64 bytes of UTF-8';
  if (x.indexedAt !== undefined && !isTime(x.indexedAt)) return 'indexedAt is not a time';
  const p: PhotoRecord = {
    id: x.id, name: x.name, type: x.type, byteSize: x.byteSize, width: x.width, height: x.height,
    addedAt: x.addedAt, status: x.status as PhotoRecord['status'],
  };
  if (x.capturedAt !== undefined) p.capturedAt = x.capturedAt as string;
  if (x.failReason !== undefined) p.failReason = x.failReason;
  if (x.modelId !== undefined) p.modelId = x.modelId;
  if (x.indexedAt !== undefined) p.indexedAt = x.indexedAt;
  return p;
}

/** Checks a chat record (from a file, or before writing one). */
export function validateChatRecord(x: unknown, limits: LibraryLimits = DEFAULT_LIBRARY_LIMITS): ChatRecord | string {
  if (!isObj(x)) return 'chat record is not an object';
  if (!isStr(x.id, 128) || x.id.length === 0) return 'chat id is missing or too long';
  if (typeof x.photoId !== 'string' || !PHOTO_ID_PATTERN.test(x.photoId)) return 'photoId is not a SHA-256 hex string';
  if (!isTime(x.createdAt) || !isTime(x.updatedAt)) return 'createdAt/updatedAt are not times';
  if (!Array.isArray(x.turns)) return 'turns is not an array';
  if (x.turns.length > limits.maxTurnsPerChat) return `${x.turns.length} turns exceeds the limit of ${limits.maxTurnsPerChat}`;
  const turns: ChatRecord['turns'] = [];
  for (const t of x.turns) {
    if (!isObj(t) || (t.role !== 'user' && t.role !== 'assistant') || !isStr(t.text, limits.maxTextChars) || !isTime(t.at)) {
      return `turn ${turns.length} is not {role: "user"|"assistant", text, at}`;
    }
    turns.push({ role: t.role, text: t.text, at: t.at });
  }
  return { id: x.id, photoId: x.photoId, createdAt: x.createdAt, updatedAt: x.updatedAt, turns };
}

function validateSettings(x: unknown): Partial<Settings> | string {
  if (x === undefined) return {};
  if (!isObj(x)) return 'settings is not an object';
  const s: Partial<Settings> = {};
  if (typeof x.keepOriginals === 'boolean') s.keepOriginals = x.keepOriginals;
  if (x.currentModelId === null || validModelId(x.currentModelId)) s.currentModelId = x.currentModelId as string | null;
  return s;
}

function validateRef(x: Json, maxLength: number, dataEnd: number): BlobRef | string {
  const { offset, length } = x;
  if (!isNat(offset) || !isNat(length) || !isNat(x.crc32, 0xffffffff)) return 'offset/length/crc32 are not non-negative integers';
  if (offset % ALIGN !== 0 || offset < HEADER_BYTES) return `offset ${offset} is not an aligned position after the header`;
  if (length > maxLength) return `length ${length} exceeds the limit of ${maxLength} bytes`;
  if (offset + length > dataEnd) return `bytes ${offset}..${offset + length} run past the blob area (ends at ${dataEnd})`;
  return { offset, length, crc32: x.crc32 };
}

function validateManifestPhoto(x: unknown, limits: LibraryLimits, dataEnd: number, skipped: SkippedItem[]): ManifestPhoto | string {
  if (!isObj(x)) return 'entry is not an object';
  const photo = validatePhotoRecord(x.photo, limits);
  if (typeof photo === 'string') return photo;
  const id = photo.id;
  const entry: ManifestPhoto = { photo, tokens: [], embeddings: [] };
  if (x.thumbnail !== undefined) {
    const t = x.thumbnail;
    const ref = isObj(t) ? validateRef(t, limits.maxThumbnailBytes, dataEnd) : 'thumbnail is not an object';
    if (typeof ref === 'string') skipped.push({ kind: 'thumbnail', id, reason: ref });
    else if (!isObj(t) || !isStr(t.type, limits.maxNameChars) || !isNat(t.width, 1 << 16) || !isNat(t.height, 1 << 16)) {
      skipped.push({ kind: 'thumbnail', id, reason: 'type/width/height are missing or invalid' });
    } else entry.thumbnail = { ...ref, type: t.type, width: t.width, height: t.height };
  }
  if (!Array.isArray(x.tokens) || !Array.isArray(x.embeddings)) return 'tokens/embeddings are not arrays';
  if (x.tokens.length > limits.maxModelsPerPhoto || x.embeddings.length > limits.maxModelsPerPhoto) {
    return `more than ${limits.maxModelsPerPhoto} token or embedding entries`;
  }
  for (const t of x.tokens) {
    const ref = isObj(t) ? validateRef(t, limits.maxTokenBytes, dataEnd) : 'tokens entry is not an object';
    const modelId = isObj(t) && validModelId(t.modelId) ? t.modelId : undefined;
    if (typeof ref === 'string' || modelId === undefined) skipped.push({ kind: 'tokens', id, reason: typeof ref === 'string' ? ref : 'modelId is invalid' });
    else if (entry.tokens.some((e) => e.modelId === modelId)) skipped.push({ kind: 'tokens', id, modelId, reason: 'a second token entry for the same model' });
    else entry.tokens.push({ ...ref, modelId });
  }
  for (const e of x.embeddings) {
    if (!isObj(e) || !validModelId(e.modelId) || !isNat(e.d, MAX_D) || e.d === 0) {
      skipped.push({ kind: 'embedding', id, reason: 'embedding entry needs modelId and d in 1..65536' });
      continue;
    }
    const { modelId, d } = e;
    const ref = validateRef(e, 2 * d, dataEnd);
    if (typeof ref === 'string') skipped.push({ kind: 'embedding', id, modelId, reason: ref });
    else if (ref.length !== 2 * d) skipped.push({ kind: 'embedding', id, modelId, reason: `length ${ref.length} is not 2*d = ${2 * d}` });
    else if (entry.embeddings.some((o) => o.modelId === modelId)) skipped.push({ kind: 'embedding', id, modelId, reason: 'a second embedding for the same model' });
    else entry.embeddings.push({ ...ref, modelId, d });
  }
  if (x.original !== undefined) {
    const o = x.original;
    const ref = isObj(o) ? validateRef(o, limits.maxOriginalBytes, dataEnd) : 'original is not an object';
    if (typeof ref === 'string') skipped.push({ kind: 'original', id, reason: ref });
    else if (!isObj(o) || !isStr(o.type, limits.maxNameChars)) skipped.push({ kind: 'original', id, reason: 'type is missing' });
    else entry.original = { ...ref, type: o.type };
  }
  return entry;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading

export interface LibraryFileReader {
  readonly manifest: LibraryManifest; // validated: only entries that passed the checks
  readonly skipped: readonly SkippedItem[]; // what the manifest checks left out
  /** Reads and checks one photo's blobs. Blobs that fail are left out and listed in `skipped`. */
  readPhoto(entry: ManifestPhoto): Promise<{ data: LibraryPhotoData; skipped: SkippedItem[] }>;
}

/** Opens a library file: checks header, trailer and manifest. Throws LibraryFileError if the file is unusable. */
export async function openLibraryFile(source: ByteSource, limitsIn: Partial<LibraryLimits> = {}): Promise<LibraryFileReader> {
  const limits: LibraryLimits = { ...DEFAULT_LIBRARY_LIMITS, ...limitsIn };
  const size = source.size;
  const readExact = async (offset: number, length: number, what: string): Promise<Uint8Array> => {
    let b: Uint8Array;
    try {
      b = await source.read(offset, length);
    } catch (e) {
      throw new LibraryFileError('truncated', `the ${what} could not be read (${(e as Error)?.message ?? String(e)})`);
    }
    if (b.length !== length) throw new LibraryFileError('truncated', `the ${what} is cut short (${b.length} of ${length} bytes)`);
    return b;
  };
  if (!isNat(size) || size < HEADER_BYTES + TRAILER_BYTES) throw new LibraryFileError('truncated', `${size} bytes is shorter than header + trailer (${HEADER_BYTES + TRAILER_BYTES})`);
  const header = await readExact(0, HEADER_BYTES, 'header');
  const hv = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const magic = String.fromCharCode(header[0], header[1], header[2], header[3]);
  if (magic !== LIBRARY_MAGIC) throw new LibraryFileError('bad-magic', `expected "${LIBRARY_MAGIC}", found ${JSON.stringify(magic)}`);
  const version = hv.getUint32(4, true);
  if (version !== LIBRARY_FORMAT_VERSION) throw new LibraryFileError('unsupported-version', `format version ${version}; this app reads version ${LIBRARY_FORMAT_VERSION}`);

  const trailer = await readExact(size - TRAILER_BYTES, TRAILER_BYTES, 'trailer');
  const tv = new DataView(trailer.buffer, trailer.byteOffset, trailer.byteLength);
  const endMagic = String.fromCharCode(trailer[16], trailer[17], trailer[18], trailer[19]);
  if (endMagic !== LIBRARY_END_MAGIC) throw new LibraryFileError('truncated', `the end marker "${LIBRARY_END_MAGIC}" is missing: the file was cut short or is not a library file`);
  if (tv.getUint32(20, true) !== version) throw new LibraryFileError('bad-trailer', 'header and trailer versions differ');
  const manifestOffset = tv.getUint32(0, true) + tv.getUint32(4, true) * 2 ** 32;
  const manifestLength = tv.getUint32(8, true);
  const manifestCrc = tv.getUint32(12, true);
  if (manifestLength > limits.maxManifestBytes) throw new LibraryFileError('too-large', `manifest of ${manifestLength} bytes exceeds the limit of ${limits.maxManifestBytes}`);
  if (manifestOffset < HEADER_BYTES || manifestOffset + manifestLength + TRAILER_BYTES !== size) {
    throw new LibraryFileError('bad-trailer', `manifest at ${manifestOffset} (+${manifestLength}) does not end where the trailer starts (${size - TRAILER_BYTES})`);
  }
  const manifestBytes = await readExact(manifestOffset, manifestLength, 'manifest');
  if (crc32(manifestBytes) !== manifestCrc) throw new LibraryFileError('checksum', 'the manifest checksum does not match (the file is damaged)');
  let raw: unknown;
  try {
    raw = JSON.parse(utf8Strict.decode(manifestBytes));
  } catch {
    throw new LibraryFileError('bad-manifest', 'the manifest is not valid UTF-8 JSON');
  }
  if (!isObj(raw) || raw.format !== LIBRARY_FORMAT_NAME) throw new LibraryFileError('bad-manifest', `manifest "format" is not "${LIBRARY_FORMAT_NAME}"`);
  if (raw.version !== version) throw new LibraryFileError('bad-manifest', `manifest version ${String(raw.version)} differs from the header's ${version}`);
  if (!Array.isArray(raw.photos) || !Array.isArray(raw.chats)) throw new LibraryFileError('bad-manifest', '"photos" and "chats" must be arrays');
  if (raw.photos.length > limits.maxPhotos) throw new LibraryFileError('too-large', `${raw.photos.length} photos exceeds the limit of ${limits.maxPhotos}`);
  if (raw.chats.length > limits.maxChats) throw new LibraryFileError('too-large', `${raw.chats.length} chats exceeds the limit of ${limits.maxChats}`);

  const skipped: SkippedItem[] = [];
  const photos: ManifestPhoto[] = [];
  const seen = new Set<string>();
  for (const p of raw.photos) {
    const entry = validateManifestPhoto(p, limits, manifestOffset, skipped);
    const id = isObj(p) && isObj(p.photo) && typeof p.photo.id === 'string' ? p.photo.id.slice(0, 64) : undefined;
    if (typeof entry === 'string') skipped.push({ kind: 'photo', id, reason: entry });
    else if (seen.has(entry.photo.id)) skipped.push({ kind: 'photo', id, reason: 'listed twice in the file' });
    else {
      seen.add(entry.photo.id);
      photos.push(entry);
    }
  }
  const chats: ChatRecord[] = [];
  const chatIds = new Set<string>();
  for (const c of raw.chats) {
    const chat = validateChatRecord(c, limits);
    const id = isObj(c) && typeof c.id === 'string' ? c.id.slice(0, 128) : undefined;
    if (typeof chat === 'string') skipped.push({ kind: 'chat', id, reason: chat });
    else if (chatIds.has(chat.id)) skipped.push({ kind: 'chat', id, reason: 'listed twice in the file' });
    else {
      chatIds.add(chat.id);
      chats.push(chat);
    }
  }
  const settings = validateSettings(raw.settings);
  if (typeof settings === 'string') skipped.push({ kind: 'settings', reason: settings });
  const manifest: LibraryManifest = {
    format: LIBRARY_FORMAT_NAME, version,
    createdAt: isStr(raw.createdAt, 64) ? raw.createdAt : '',
    generator: isStr(raw.generator, 256) ? raw.generator : '',
    photos, chats, settings: typeof settings === 'string' ? {} : settings,
  };

  async function readBlob(ref: BlobRef): Promise<Uint8Array | string> {
    let bytes: Uint8Array;
    try {
      bytes = await source.read(ref.offset, ref.length);
    } catch (e) {
      return `could not be read: ${(e as Error).message}`;
    }
    if (bytes.length !== ref.length) return `read ${bytes.length} of ${ref.length} bytes`;
    if (crc32(bytes) !== ref.crc32) return 'checksum mismatch (the file is damaged)';
    return bytes.slice(); // own the bytes: the source may reuse or share its buffer
  }

  async function readPhoto(entry: ManifestPhoto): Promise<{ data: LibraryPhotoData; skipped: SkippedItem[] }> {
    const id = entry.photo.id;
    const out: SkippedItem[] = [];
    const data: LibraryPhotoData = { photo: { ...entry.photo }, tokens: [], embeddings: [] };
    if (entry.thumbnail) {
      const b = await readBlob(entry.thumbnail);
      if (typeof b === 'string') out.push({ kind: 'thumbnail', id, reason: b });
      else data.thumbnail = { type: entry.thumbnail.type, width: entry.thumbnail.width, height: entry.thumbnail.height, bytes: b };
    }
    for (const t of entry.tokens) {
      const b = await readBlob(t);
      if (typeof b === 'string') {
        out.push({ kind: 'tokens', id, modelId: t.modelId, reason: b });
        continue;
      }
      try {
        decodeTokens(b, t.modelId);
        data.tokens.push({ modelId: t.modelId, bytes: b });
      } catch (e) {
        out.push({ kind: 'tokens', id, modelId: t.modelId, reason: (e as Error).message });
      }
    }
    for (const e of entry.embeddings) {
      const b = await readBlob(e);
      if (typeof b === 'string') out.push({ kind: 'embedding', id, modelId: e.modelId, reason: b });
      else data.embeddings.push({ modelId: e.modelId, d: e.d, vector: fp16FromBytes(b) });
    }
    if (entry.original) {
      const b = await readBlob(entry.original);
      if (typeof b === 'string') out.push({ kind: 'original', id, reason: b });
      else data.original = { type: entry.original.type, bytes: b };
    }
    return { data, skipped: out };
  }

  return { manifest, skipped, readPhoto };
}

/**
 * After blobs were dropped, makes the photo consistent again:
 * - an embedding without tokens of the same model (or of another d) is dropped; tokens without an embedding
 *   get it recomputed (meanEmbedding, what finishIndexing stores when the engine gives none);
 * - an 'indexed'/'stale' photo whose tokens or thumbnail for its model are missing becomes 'pending' when
 *   its original is there (it can be re-indexed), else 'failed' with a reason;
 * - 'indexing' becomes 'pending'; 'pending' without its original becomes 'failed'.
 * Returns a note when something changed.
 */
export function reconcilePhoto(data: LibraryPhotoData): string | null {
  const notes: string[] = [];
  const p = data.photo;
  const shapes = new Map(data.tokens.map((t) => [t.modelId, decodeTokens(t.bytes, t.modelId)]));
  const kept = data.embeddings.filter((e) => shapes.get(e.modelId)?.d === e.d && e.vector.length === e.d);
  if (kept.length !== data.embeddings.length) notes.push('embedding without matching tokens dropped');
  data.embeddings = kept;
  for (const [modelId, t] of shapes) {
    if (data.embeddings.some((e) => e.modelId === modelId)) continue;
    data.embeddings.push({ modelId, d: t.d, vector: meanEmbedding(t.data, t.K, t.d) });
    notes.push(`embedding for ${modelId} recomputed from its tokens`);
  }
  if (p.status === 'indexing') p.status = 'pending';
  if (p.status === 'pending' && !data.original) {
    p.status = 'failed';
    p.failReason = 'The original photo is not in the library file, so it cannot be indexed. Add the photo again.';
    notes.push('pending without its original: marked failed');
  }
  if (p.status === 'indexed' || p.status === 'stale') {
    const complete = p.modelId !== undefined && shapes.has(p.modelId) && data.thumbnail !== undefined;
    if (!complete) {
      delete p.indexedAt;
      if (data.original) {
        p.status = 'pending';
        delete p.failReason;
        notes.push('tokens or thumbnail missing: queued for re-indexing');
      } else {
        p.status = 'failed';
        p.failReason = 'Its stored tokens were damaged or missing in the library file and the original is not there. Add the photo again.';
        notes.push('tokens or thumbnail missing and no original: marked failed');
      }
    }
  }
  return notes.length ? notes.join('; ') : null;
}

/** Reads a whole (small) library file held in memory. */
export async function decodeLibrary(bytes: Uint8Array, limits: Partial<LibraryLimits> = {}): Promise<{
  manifest: LibraryManifest; photos: LibraryPhotoData[]; skipped: SkippedItem[];
}> {
  const reader = await openLibraryFile(bytesSource(bytes), limits);
  const skipped = [...reader.skipped];
  const photos: LibraryPhotoData[] = [];
  for (const entry of reader.manifest.photos) {
    const r = await reader.readPhoto(entry);
    skipped.push(...r.skipped);
    photos.push(r.data);
  }
  return { manifest: reader.manifest, photos, skipped };
}

// ---------------------------------------------------------------------------------------------------------------
// Writing

/**
 * Streams a library file: `start()`, then `addPhoto()` for each photo and `addChat()` for each chat, then
 * `finish()`. Each call returns the parts to append to the output, in order.
 */
export class LibraryWriter {
  private offset = 0;
  private state: 'new' | 'open' | 'done' = 'new';
  private readonly photos: ManifestPhoto[] = [];
  private readonly chats: ChatRecord[] = [];
  private readonly ids = new Set<string>();
  private settings: Partial<Settings> = {};

  constructor(private readonly opts: { generator?: string; createdAt?: Date } = {}) {}

  get bytesWritten(): number {
    return this.offset;
  }

  start(): Uint8Array[] {
    if (this.state !== 'new') throw new LibraryFileError('writer-state', 'start() was already called');
    this.state = 'open';
    const h = new Uint8Array(HEADER_BYTES);
    h.set(utf8.encode(LIBRARY_MAGIC), 0);
    new DataView(h.buffer).setUint32(4, LIBRARY_FORMAT_VERSION, true);
    this.offset = HEADER_BYTES;
    return [h];
  }

  private blob(bytes: Uint8Array, parts: Uint8Array[]): BlobRef {
    const ref = { offset: this.offset, length: bytes.length, crc32: crc32(bytes) };
    parts.push(bytes);
    this.offset += bytes.length;
    const pad = (ALIGN - (this.offset % ALIGN)) % ALIGN;
    if (pad > 0) {
      parts.push(new Uint8Array(pad));
      this.offset += pad;
    }
    return ref;
  }

  addPhoto(data: LibraryPhotoData): Uint8Array[] {
    if (this.state !== 'open') throw new LibraryFileError('writer-state', 'addPhoto() before start() or after finish()');
    const photo = validatePhotoRecord(data.photo);
    if (typeof photo === 'string') throw new LibraryFileError('invalid-entry', `photo ${String(data.photo?.id)}: ${photo}`);
    if (this.ids.has(photo.id)) throw new LibraryFileError('invalid-entry', `photo ${photo.id} was added twice`);
    this.ids.add(photo.id);
    const parts: Uint8Array[] = [];
    const entry: ManifestPhoto = { photo, tokens: [], embeddings: [] };
    if (data.thumbnail) {
      const { type, width, height, bytes } = data.thumbnail;
      entry.thumbnail = { ...this.blob(bytes, parts), type, width, height };
    }
    for (const t of data.tokens) {
      decodeTokens(t.bytes, t.modelId); // never write tokens the reader would reject
      entry.tokens.push({ ...this.blob(t.bytes, parts), modelId: t.modelId });
    }
    for (const e of data.embeddings) {
      if (e.vector.length !== e.d) throw new LibraryFileError('invalid-entry', `photo ${photo.id}: embedding has ${e.vector.length} values, d=${e.d}`);
      entry.embeddings.push({ ...this.blob(fp16Bytes(e.vector).slice(), parts), modelId: e.modelId, d: e.d });
    }
    if (data.original) entry.original = { ...this.blob(data.original.bytes, parts), type: data.original.type };
    this.photos.push(entry);
    return parts;
  }

  addChat(chat: ChatRecord): void {
    if (this.state !== 'open') throw new LibraryFileError('writer-state', 'addChat() before start() or after finish()');
    const c = validateChatRecord(chat);
    if (typeof c === 'string') throw new LibraryFileError('invalid-entry', `chat ${String(chat?.id)}: ${c}`);
    this.chats.push(c);
  }

  setSettings(settings: Partial<Settings>): void {
    this.settings = { ...settings };
  }

  finish(): Uint8Array[] {
    if (this.state !== 'open') throw new LibraryFileError('writer-state', 'finish() before start() or twice');
    this.state = 'done';
    const manifest: LibraryManifest = {
      format: LIBRARY_FORMAT_NAME,
      version: LIBRARY_FORMAT_VERSION,
      createdAt: (this.opts.createdAt ?? new Date()).toISOString(),
      generator: this.opts.generator ?? 'fwd2bot',
      photos: this.photos,
      chats: this.chats,
      settings: this.settings,
    };
    const json = utf8.encode(JSON.stringify(manifest));
    const trailer = new Uint8Array(TRAILER_BYTES);
    const tv = new DataView(trailer.buffer);
    tv.setUint32(0, this.offset % 2 ** 32, true);
    tv.setUint32(4, Math.floor(this.offset / 2 ** 32), true);
    tv.setUint32(8, json.length, true);
    tv.setUint32(12, crc32(json), true);
    trailer.set(utf8.encode(LIBRARY_END_MAGIC), 16);
    tv.setUint32(20, LIBRARY_FORMAT_VERSION, true);
    this.offset += json.length + TRAILER_BYTES;
    return [json, trailer];
  }
}

/** Writes a whole library file into one Uint8Array (for small libraries and tests; large ones stream). */
export function encodeLibrary(
  input: { photos: LibraryPhotoData[]; chats?: ChatRecord[]; settings?: Partial<Settings> },
  opts: { generator?: string; createdAt?: Date } = {},
): Uint8Array<ArrayBuffer> {
  const w = new LibraryWriter(opts);
  const parts = w.start();
  for (const p of input.photos) parts.push(...w.addPhoto(p));
  for (const c of input.chats ?? []) w.addChat(c);
  if (input.settings) w.setSettings(input.settings);
  parts.push(...w.finish());
  const out = new Uint8Array(w.bytesWritten);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
