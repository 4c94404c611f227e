// Loading a model package (docs/MODEL_PACKAGE.md) from any PackageSource, checking it before anything runs:
// the manifest's format version, every file's size and sha256 (WebCrypto, in browsers, workers and Node),
// and the model id derived from the weight files' checksums. Errors name the file that is wrong.
//
// Sources: a URL (fetch, with byte progress), a folder the user picked (File objects from
// <input webkitdirectory>, or a FileSystemDirectoryHandle), bytes in memory (tests). The Node filesystem
// source lives in cli/nodeSource.ts. Pure: uses only fetch / crypto.subtle / structural File types.

import { ModelFormatError, ModelLoadError } from './errors';
import { externalDataFiles, layerFiles, parseManifest, type Manifest, type PackageFile } from './manifest';

export const MANIFEST_FILE = 'manifest.json';
export const TOKENIZER_FILE = 'tokenizer.json';

export interface ReadOptions {
  signal?: AbortSignal;
  /** Called with the bytes of this file received so far. */
  onBytes?: (loaded: number) => void;
}

/** Where a package's files come from. `read` rejects with ModelFormatError when a file is missing. */
export interface PackageSource {
  /** For messages: a URL or "the folder you picked (default)". */
  readonly description: string;
  read(path: string, opts?: ReadOptions): Promise<Uint8Array>;
}

export interface PackageProgress {
  /** The file being read now. */
  file: string;
  /** Bytes of all files to read, done so far / in all (manifest sizes). */
  loaded: number;
  total: number;
}

export interface LoadPackageOptions {
  signal?: AbortSignal;
  onProgress?: (p: PackageProgress) => void;
  /** More listed files to read and check (e.g. the golden file in tests). */
  extraFiles?: readonly string[];
}

export interface ModelPackage {
  manifest: Manifest;
  /** Checked bytes of every file the engine reads: graphs, tensors, tokenizer.json (+ extraFiles). */
  files: Map<string, Uint8Array>;
  source: string;
}

/** The files the engine reads, in the order they are fetched (small first: the tokenizer fails fastest). */
export function requiredFiles(m: Manifest): string[] {
  const list = [TOKENIZER_FILE, m.tensors.summaryTokens.file, ...Object.values(m.tensors.lora).map((l) => l.file),
    m.graphs.embed.file, m.graphs.vision.file, ...externalDataFiles(m.graphs), m.graphs.decoder.file, ...layerFiles(m)];
  return [...new Set(list)];
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const view = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer
    ? (bytes as Uint8Array<ArrayBuffer>) : bytes.slice();
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', view));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** Checks one file's bytes against its manifest entry; throws ModelFormatError naming the file. */
export async function verifyFile(entry: PackageFile, bytes: Uint8Array): Promise<void> {
  if (bytes.length !== entry.bytes) {
    const why = bytes.length < entry.bytes ? 'truncated or an incomplete download' : 'longer than expected: another version of the file';
    throw ModelFormatError.forFile(entry.path, `has ${bytes.length} bytes, the manifest says ${entry.bytes} (${why})`,
      { data: { expectedBytes: entry.bytes, actualBytes: bytes.length } });
  }
  const sha = await sha256Hex(bytes);
  if (sha !== entry.sha256) {
    throw ModelFormatError.forFile(entry.path, `its sha256 is ${sha}, the manifest says ${entry.sha256} (the file is damaged or belongs to another model)`,
      { data: { expectedSha256: entry.sha256, actualSha256: sha } });
  }
}

/**
 * The model id the exporter derives: "f2b-" + first 16 hex of sha256 over "path:sha256\n" of every .onnx and
 * .bin file, sorted by path (python/fwd2bot/export.py). Lets the loader refuse a manifest whose id was not
 * updated when its weights changed (stored tokens are keyed by this id).
 */
export async function derivedModelId(files: readonly PackageFile[]): Promise<string> {
  const weights = files.filter((f) => /\.(onnx|bin)$/.test(f.path)).map((f) => ({ ...f, parts: f.path.split('/') }));
  weights.sort((a, b) => comparePathParts(a.parts, b.parts));
  const text = weights.map((f) => `${f.path}:${f.sha256}\n`).join('');
  return `f2b-${(await sha256Hex(new TextEncoder().encode(text))).slice(0, 16)}`;
}

function comparePathParts(a: string[], b: string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return a.length - b.length;
}

/** Reads and checks a package. Progress counts the bytes of the files read (the manifest's sizes). */
export async function loadPackage(source: PackageSource, opts: LoadPackageOptions = {}): Promise<ModelPackage> {
  const manifestBytes = await source.read(MANIFEST_FILE, { signal: opts.signal });
  const manifest = parseManifest(new TextDecoder().decode(manifestBytes));
  const byPath = new Map(manifest.files.map((f) => [f.path, f]));
  if (!byPath.has(TOKENIZER_FILE)) throw ModelFormatError.forField('files', `does not list "${TOKENIZER_FILE}"`);
  const derived = await derivedModelId(manifest.files);
  if (derived !== manifest.modelId) {
    throw ModelFormatError.forField('modelId', `is "${manifest.modelId}" but the listed weight files give "${derived}" (the manifest was edited or mixed with other weights)`);
  }
  const files = await readPackageFiles(source, manifest, [...requiredFiles(manifest), ...(opts.extraFiles ?? [])], opts);
  return { manifest, files, source: source.description };
}

/**
 * Reads and checks listed files of an already loaded manifest (e.g. graphs the engine creates sessions for
 * later, src/engine/core/engine.ts): each file's size and sha256 must match, so a package changed on the
 * server since the manifest was read is refused, naming the file.
 */
export async function readPackageFiles(source: PackageSource, manifest: Manifest, paths: readonly string[],
  opts: Omit<LoadPackageOptions, 'extraFiles'> = {}): Promise<Map<string, Uint8Array>> {
  const byPath = new Map(manifest.files.map((f) => [f.path, f]));
  const entries = [...new Set(paths)].map((p) => {
    const e = byPath.get(p);
    if (!e) throw ModelFormatError.forField('files', `does not list "${p}"`);
    return e;
  });
  const total = entries.reduce((s, e) => s + e.bytes, 0);
  let done = 0;
  const files = new Map<string, Uint8Array>();
  for (const e of entries) {
    opts.signal?.throwIfAborted();
    opts.onProgress?.({ file: e.path, loaded: done, total });
    const bytes = await source.read(e.path, {
      signal: opts.signal,
      onBytes: (n) => opts.onProgress?.({ file: e.path, loaded: done + Math.min(n, e.bytes), total }),
    });
    await verifyFile(e, bytes);
    done += e.bytes;
    files.set(e.path, bytes);
  }
  opts.onProgress?.({ file: '', loaded: done, total });
  return files;
}

// ---- sources ----

/** Package files held in memory (tests, or a package unpacked elsewhere). */
export function memorySource(files: Record<string, Uint8Array> | Map<string, Uint8Array>, description = 'in-memory package'): PackageSource {
  const map = files instanceof Map ? files : new Map(Object.entries(files));
  return {
    description,
    async read(path) {
      const b = map.get(path);
      if (!b) throw ModelFormatError.forFile(path, `is missing from ${description}`);
      return b;
    },
  };
}

/** Files under `baseUrl` (ending in '/' or not), fetched with byte progress. */
export function urlSource(baseUrl: string | URL, fetchFn: typeof fetch = (...a) => fetch(...a)): PackageSource {
  const base = String(baseUrl).endsWith('/') ? String(baseUrl) : `${String(baseUrl)}/`;
  return {
    description: base,
    async read(path, opts = {}) {
      const url = new URL(path, new URL(base, globalThis.location?.href ?? 'http://localhost/')).href;
      let res: Response;
      try {
        res = await fetchFn(url, { signal: opts.signal });
      } catch (e) {
        if (opts.signal?.aborted) throw e;
        throw new ModelLoadError(`Downloading "${path}" from ${url} failed: ${e instanceof Error ? e.message : String(e)}`, { data: { file: path, url }, cause: e });
      }
      if (res.status === 404) throw ModelFormatError.forFile(path, `is missing from the package (HTTP 404 at ${url})`);
      if (!res.ok) throw new ModelLoadError(`Downloading "${path}" from ${url} failed: HTTP ${res.status} ${res.statusText}`, { data: { file: path, url, status: res.status } });
      return readBody(res, path, opts);
    },
  };
}

async function readBody(res: Response, path: string, opts: ReadOptions): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      n += value.length;
      opts.onBytes?.(n);
    }
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    throw new ModelLoadError(`The download of "${path}" broke off after ${n} bytes: ${e instanceof Error ? e.message : String(e)}`, { data: { file: path }, cause: e });
  }
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}

/** What a picked file must offer (a DOM File from <input type="file" webkitdirectory> has all of it). */
export interface PickedFile {
  readonly name: string;
  readonly webkitRelativePath?: string;
  readonly size: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * Files of a folder the user picked. Paths are the files' webkitRelativePath; the folder holding the
 * shallowest manifest.json is the package root (the user may pick the package folder or its parent).
 */
export function pickedFilesSource(files: Iterable<PickedFile>): PackageSource {
  const list = [...files];
  const rel = (f: PickedFile) => (f.webkitRelativePath || f.name);
  const manifests = list.filter((f) => rel(f).split('/').at(-1) === MANIFEST_FILE)
    .sort((a, b) => rel(a).split('/').length - rel(b).split('/').length);
  if (manifests.length === 0) {
    throw new ModelFormatError('The chosen files contain no manifest.json.', {
      hint: 'Choose the model package folder (the one with manifest.json, tokenizer.json and the .onnx files).',
    });
  }
  const root = rel(manifests[0]).slice(0, -MANIFEST_FILE.length);
  const map = new Map<string, PickedFile>();
  for (const f of list) if (rel(f).startsWith(root)) map.set(rel(f).slice(root.length), f);
  const description = `the folder you picked (${root.replace(/\/$/, '') || 'top level'})`;
  return {
    description,
    async read(path, opts = {}) {
      const f = map.get(path);
      if (!f) throw ModelFormatError.forFile(path, `is missing from ${description}`);
      opts.signal?.throwIfAborted();
      const bytes = new Uint8Array(await f.arrayBuffer());
      opts.onBytes?.(bytes.length);
      return bytes;
    },
  };
}

/** The part of FileSystemDirectoryHandle a source needs (showDirectoryPicker() returns one). */
export interface DirectoryHandleLike {
  readonly name: string;
  getDirectoryHandle(name: string): Promise<DirectoryHandleLike>;
  getFileHandle(name: string): Promise<{ getFile(): Promise<PickedFile> }>;
}

/** A folder picked with showDirectoryPicker(). */
export function directoryHandleSource(dir: DirectoryHandleLike): PackageSource {
  const description = `the folder you picked (${dir.name})`;
  return {
    description,
    async read(path, opts = {}) {
      const parts = path.split('/');
      let d = dir;
      let file: PickedFile;
      try {
        for (const p of parts.slice(0, -1)) d = await d.getDirectoryHandle(p);
        file = await (await d.getFileHandle(parts.at(-1)!)).getFile();
      } catch (e) {
        if ((e as { name?: string })?.name === 'NotFoundError') throw ModelFormatError.forFile(path, `is missing from ${description}`);
        throw new ModelLoadError(`Reading "${path}" from ${description} failed: ${e instanceof Error ? e.message : String(e)}`, { data: { file: path }, cause: e });
      }
      opts.signal?.throwIfAborted();
      const bytes = new Uint8Array(await file.arrayBuffer());
      opts.onBytes?.(bytes.length);
      return bytes;
    },
  };
}
