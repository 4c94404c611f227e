// manifest.json of a model package (docs/MODEL_PACKAGE.md, format version 2): types and a validator that
// names the field that is wrong. Pure: no DOM, no Node. Unknown extra fields are ignored (forward compatible
// within a format version). Version 1 (every graph self-contained) is still read: version 2 only adds the
// optional `externalData` of a graph; a newer version is refused.

import { ModelFormatError } from './errors';

export const PACKAGE_FORMAT = 'fwd2bot-model-package';
export const PACKAGE_FORMAT_VERSION = 2;
/** Oldest format version this app still reads. */
export const OLDEST_PACKAGE_FORMAT_VERSION = 1;
export const LORA_PROJECTIONS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type LoraProjection = (typeof LORA_PROJECTIONS)[number];

export interface DecoderArchitecture {
  type: 'llama';
  layers: number;
  hiddenSize: number; // d
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediateSize: number;
  vocabSize: number;
  ropeTheta: number;
  rmsNormEps: number;
  maxPositions: number;
}

export interface VisionArchitecture {
  imageSize: number;
  patchSize: number;
  hiddenSize: number;
  layers: number;
  heads: number;
  numVisionTokens: number; // V
  featureLayer: number;
}

export interface TensorEntry { name: string; shape: number[]; offset: number }
export interface LoraFile { file: string; dtype: 'float32'; entries: TensorEntry[] }
export interface PackageFile { path: string; bytes: number; sha256: string }
/**
 * An ONNX graph of the package. `externalData`: the package file its large initializers live in (ONNX external
 * data; the graph names it by this same path), shared between decoder.onnx and the per-layer graphs so their
 * weights are stored and downloaded once (docs/MODEL_PACKAGE.md "Shared weights").
 */
export interface GraphFile { file: string; externalData?: string }

export interface Manifest {
  format: typeof PACKAGE_FORMAT;
  formatVersion: number;
  modelId: string;
  name: string;
  architecture: {
    vision: VisionArchitecture;
    projector: { type: string; outputSize: number };
    decoder: DecoderArchitecture;
  };
  fwd2bot: {
    numSummaryTokens: number; // K
    /** K' values the model answers from; [] = K only. Always sorted, each <= K. */
    nestedK: number[];
    compressionPrompt: string;
    passOneAttention: 'causal' | 'bidirectional-block';
    loraStages: string[];
    /** Adapter used in each pass; null = no adapter (zero LoRA). */
    stageForPass: { compress: string | null; generate: string | null };
  };
  tokens: { pad: number; bos: number; eos: number; unk: number; image: number };
  chatTemplate: { turn: string; captionQuestion: string; stop: number[] };
  preprocessing: {
    size: [number, number]; // [height, width]
    resize: 'box';
    mean: [number, number, number];
    std: [number, number, number];
    layout: 'NCHW';
    alpha: 'composite-on-white';
  };
  graphs: {
    vision: GraphFile; embed: GraphFile; decoder: GraphFile;
    /** Optional per-layer split of the decoder (docs/MODEL_PACKAGE.md "Per-layer graphs"): the kernel decoder path. */
    layers?: { pre: string[]; post: string[]; final: string; externalData?: string };
  };
  tensors: {
    summaryTokens: { file: string; dtype: 'float32'; shape: [number, number] }; // (K, d)
    /** Adapter name -> its factors (one raw little-endian fp32 file per adapter). */
    lora: Record<string, LoraFile>;
  };
  quantization?: Record<string, unknown>;
  files: PackageFile[];
  eval?: string;
  golden?: string;
  /** Markdown model card (what the model can and cannot do). */
  modelCard?: string;
}

// ---- small typed readers: each throws ModelFormatError.forField(path, what is wrong) ----

type Json = Record<string, unknown>;

function obj(v: unknown, path: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw ModelFormatError.forField(path, `must be an object, got ${typeName(v)}`);
  return v as Json;
}
function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'undefined' ? 'nothing (missing)' : `a ${typeof v}`;
}
function str(o: Json, key: string, path: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v.length === 0) throw ModelFormatError.forField(`${path}${key}`, `must be a non-empty string, got ${typeName(v)}`);
  return v;
}
function int(o: Json, key: string, path: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw ModelFormatError.forField(`${path}${key}`, `must be an integer in ${min}..${max}, got ${JSON.stringify(v) ?? 'nothing (missing)'}`);
  }
  return v;
}
function num(o: Json, key: string, path: string, positive = false): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || (positive && v <= 0)) {
    throw ModelFormatError.forField(`${path}${key}`, `must be a finite${positive ? ' positive' : ''} number, got ${JSON.stringify(v) ?? 'nothing (missing)'}`);
  }
  return v;
}
function arr(o: Json, key: string, path: string): unknown[] {
  const v = o[key];
  if (!Array.isArray(v)) throw ModelFormatError.forField(`${path}${key}`, `must be an array, got ${typeName(v)}`);
  return v;
}
function oneOf<T extends string>(o: Json, key: string, path: string, allowed: readonly T[]): T {
  const v = o[key];
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw ModelFormatError.forField(`${path}${key}`, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(v) ?? 'nothing (missing)'}`);
  }
  return v as T;
}
function triple(o: Json, key: string, path: string, positive: boolean): [number, number, number] {
  const a = arr(o, key, path);
  if (a.length !== 3) throw ModelFormatError.forField(`${path}${key}`, `must have 3 values, got ${a.length}`);
  return [0, 1, 2].map((i) => num(a as unknown as Json, String(i), `${path}${key}.`, positive)) as [number, number, number];
}
/** A relative path inside the package: no absolute paths, no "..", no backslashes. */
function relPath(o: Json, key: string, path: string): string {
  const v = str(o, key, path);
  if (v.startsWith('/') || v.includes('\\') || v.split('/').some((s) => s === '..' || s === '.' || s === '')) {
    throw ModelFormatError.forField(`${path}${key}`, `must be a relative path inside the package, got ${JSON.stringify(v)}`);
  }
  return v;
}

// ---- the manifest ----

/** Parses and validates manifest.json (text or parsed JSON). Throws ModelFormatError naming the field. */
export function parseManifest(input: string | unknown): Manifest {
  let raw: unknown = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch (e) {
      throw ModelFormatError.forFile('manifest.json', `not JSON (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  const m = obj(raw, '(root)');
  if (m.format !== PACKAGE_FORMAT) throw ModelFormatError.forField('format', `must be "${PACKAGE_FORMAT}", got ${JSON.stringify(m.format) ?? 'nothing'}`);
  const formatVersion = int(m, 'formatVersion', '', 1);
  if (formatVersion > PACKAGE_FORMAT_VERSION || formatVersion < OLDEST_PACKAGE_FORMAT_VERSION) {
    throw ModelFormatError.forField('formatVersion', `is ${formatVersion}; this app reads versions ${OLDEST_PACKAGE_FORMAT_VERSION} to ${PACKAGE_FORMAT_VERSION}`, {
      hint: formatVersion > PACKAGE_FORMAT_VERSION
        ? `The model is newer than this app: update the app (reload the page), or use a model exported for format version ${PACKAGE_FORMAT_VERSION}.`
        : 'Export the model again with the current exporter (python -m fwd2bot.export).',
    });
  }
  const modelId = str(m, 'modelId', '');
  if (new TextEncoder().encode(modelId).length > 64) throw ModelFormatError.forField('modelId', 'must be at most 64 bytes of UTF-8');

  const arch = obj(m.architecture, 'architecture');
  const v = obj(arch.vision, 'architecture.vision');
  const vp = 'architecture.vision.';
  const vision: VisionArchitecture = {
    imageSize: int(v, 'imageSize', vp, 1), patchSize: int(v, 'patchSize', vp, 1), hiddenSize: int(v, 'hiddenSize', vp, 1),
    layers: int(v, 'layers', vp, 1), heads: int(v, 'heads', vp, 1), numVisionTokens: int(v, 'numVisionTokens', vp, 1),
    featureLayer: int(v, 'featureLayer', vp, -1000),
  };
  const pj = obj(arch.projector, 'architecture.projector');
  const projector = { type: str(pj, 'type', 'architecture.projector.'), outputSize: int(pj, 'outputSize', 'architecture.projector.', 1) };
  const dd = obj(arch.decoder, 'architecture.decoder');
  const dp = 'architecture.decoder.';
  const decoder: DecoderArchitecture = {
    type: oneOf(dd, 'type', dp, ['llama'] as const),
    layers: int(dd, 'layers', dp, 1), hiddenSize: int(dd, 'hiddenSize', dp, 1), heads: int(dd, 'heads', dp, 1),
    kvHeads: int(dd, 'kvHeads', dp, 1), headDim: int(dd, 'headDim', dp, 1), intermediateSize: int(dd, 'intermediateSize', dp, 1),
    vocabSize: int(dd, 'vocabSize', dp, 1), ropeTheta: num(dd, 'ropeTheta', dp, true), rmsNormEps: num(dd, 'rmsNormEps', dp, true),
    maxPositions: int(dd, 'maxPositions', dp, 1),
  };
  if (decoder.heads % decoder.kvHeads !== 0) throw ModelFormatError.forField(`${dp}kvHeads`, `(${decoder.kvHeads}) must divide heads (${decoder.heads})`);
  if (projector.outputSize !== decoder.hiddenSize) {
    throw ModelFormatError.forField('architecture.projector.outputSize', `(${projector.outputSize}) must equal the decoder hiddenSize (${decoder.hiddenSize})`);
  }
  const d = decoder.hiddenSize;

  const f = obj(m.fwd2bot, 'fwd2bot');
  const K = int(f, 'numSummaryTokens', 'fwd2bot.', 1, 4096);
  const nestedK = arr(f, 'nestedK', 'fwd2bot.').map((_, i, a) => int(a as unknown as Json, String(i), 'fwd2bot.nestedK.', 1, K));
  nestedK.sort((a, b) => a - b);
  const loraStages = arr(f, 'loraStages', 'fwd2bot.').map((_, i, a) => str(a as unknown as Json, String(i), 'fwd2bot.loraStages.'));
  const sp = obj(f.stageForPass, 'fwd2bot.stageForPass');
  const stage = (key: 'compress' | 'generate'): string | null => {
    if (sp[key] === null) return null;
    const s = str(sp, key, 'fwd2bot.stageForPass.');
    if (!loraStages.includes(s)) throw ModelFormatError.forField(`fwd2bot.stageForPass.${key}`, `names adapter "${s}", which is not in fwd2bot.loraStages (${loraStages.join(', ') || 'none'})`);
    return s;
  };
  const fwd2bot = {
    numSummaryTokens: K, nestedK, compressionPrompt: str(f, 'compressionPrompt', 'fwd2bot.'),
    passOneAttention: oneOf(f, 'passOneAttention', 'fwd2bot.', ['causal', 'bidirectional-block'] as const),
    loraStages, stageForPass: { compress: stage('compress'), generate: stage('generate') },
  };

  const t = obj(m.tokens, 'tokens');
  const V = decoder.vocabSize - 1;
  const tokens = {
    pad: int(t, 'pad', 'tokens.', 0, V), bos: int(t, 'bos', 'tokens.', 0, V), eos: int(t, 'eos', 'tokens.', 0, V),
    unk: int(t, 'unk', 'tokens.', 0, V), image: int(t, 'image', 'tokens.', 0, V),
  };
  const ct = obj(m.chatTemplate, 'chatTemplate');
  const turn = str(ct, 'turn', 'chatTemplate.');
  if (turn.split('{question}').length !== 2) throw ModelFormatError.forField('chatTemplate.turn', `must contain "{question}" exactly once, got ${JSON.stringify(turn)}`);
  const stop = arr(ct, 'stop', 'chatTemplate.').map((_, i, a) => int(a as unknown as Json, String(i), 'chatTemplate.stop.', 0, V));
  if (stop.length === 0) throw ModelFormatError.forField('chatTemplate.stop', 'must list at least one token id');
  const chatTemplate = { turn, captionQuestion: str(ct, 'captionQuestion', 'chatTemplate.'), stop };

  const pr = obj(m.preprocessing, 'preprocessing');
  const size = arr(pr, 'size', 'preprocessing.');
  if (size.length !== 2) throw ModelFormatError.forField('preprocessing.size', `must be [height, width], got ${size.length} values`);
  const preprocessing = {
    size: [int(size as unknown as Json, '0', 'preprocessing.size.', 1, 8192), int(size as unknown as Json, '1', 'preprocessing.size.', 1, 8192)] as [number, number],
    resize: oneOf(pr, 'resize', 'preprocessing.', ['box'] as const),
    mean: triple(pr, 'mean', 'preprocessing.', false),
    std: triple(pr, 'std', 'preprocessing.', true),
    layout: oneOf(pr, 'layout', 'preprocessing.', ['NCHW'] as const),
    alpha: oneOf(pr, 'alpha', 'preprocessing.', ['composite-on-white'] as const),
  };

  const g = obj(m.graphs, 'graphs');
  /** The optional external-data file of a graph entry (format 2 on). */
  const external = (o: Json, path: string): { externalData?: string } => {
    if (o.externalData === undefined) return {};
    if (formatVersion < 2) throw ModelFormatError.forField(`${path}externalData`, `needs format version 2, the manifest says ${formatVersion}`);
    return { externalData: relPath(o, 'externalData', path) };
  };
  const graph = (key: string): GraphFile => {
    const o = obj(g[key], `graphs.${key}`);
    return { file: relPath(o, 'file', `graphs.${key}.`), ...external(o, `graphs.${key}.`) };
  };
  const graphs: Manifest['graphs'] = { vision: graph('vision'), embed: graph('embed'), decoder: graph('decoder') };
  if (g.layers !== undefined) {
    const lo = obj(g.layers, 'graphs.layers');
    const list = (key: 'pre' | 'post') => arr(lo, key, 'graphs.layers.').map((_, i, a) => relPath(a as unknown as Json, String(i), `graphs.layers.${key}.`));
    const pre = list('pre'), post = list('post');
    if (pre.length !== decoder.layers || post.length !== decoder.layers) {
      throw ModelFormatError.forField('graphs.layers', `must list ${decoder.layers} pre and post graphs (one per decoder layer), got ${pre.length} and ${post.length}`);
    }
    graphs.layers = { pre, post, final: relPath(lo, 'final', 'graphs.layers.'), ...external(lo, 'graphs.layers.') };
  }

  const ts = obj(m.tensors, 'tensors');
  const st = obj(ts.summaryTokens, 'tensors.summaryTokens');
  const stShape = arr(st, 'shape', 'tensors.summaryTokens.');
  if (stShape.length !== 2 || stShape[0] !== K || stShape[1] !== d) {
    throw ModelFormatError.forField('tensors.summaryTokens.shape', `must be [K, d] = [${K}, ${d}], got ${JSON.stringify(stShape)}`);
  }
  const summaryTokens = {
    file: relPath(st, 'file', 'tensors.summaryTokens.'), dtype: oneOf(st, 'dtype', 'tensors.summaryTokens.', ['float32'] as const),
    shape: [K, d] as [number, number],
  };
  const lo = obj(ts.lora, 'tensors.lora');
  const lora: Record<string, LoraFile> = {};
  for (const s of loraStages) {
    const p = `tensors.lora.${s}.`;
    const l = obj(lo[s], `tensors.lora.${s}`);
    const entries = arr(l, 'entries', p).map((e, i) => {
      const eo = obj(e, `${p}entries.${i}`);
      const ep = `${p}entries.${i}.`;
      const shape = arr(eo, 'shape', ep).map((_, j, a) => int(a as unknown as Json, String(j), `${ep}shape.`, 1));
      return { name: str(eo, 'name', ep), shape, offset: int(eo, 'offset', ep, 0) };
    });
    lora[s] = { file: relPath(l, 'file', p), dtype: oneOf(l, 'dtype', p, ['float32'] as const), entries };
  }

  const files = arr(m, 'files', '').map((e, i) => {
    const fo = obj(e, `files.${i}`);
    const sha = str(fo, 'sha256', `files.${i}.`);
    if (!/^[0-9a-f]{64}$/.test(sha)) throw ModelFormatError.forField(`files.${i}.sha256`, 'must be 64 lowercase hex digits');
    return { path: relPath(fo, 'path', `files.${i}.`), bytes: int(fo, 'bytes', `files.${i}.`, 0), sha256: sha };
  });
  const listed = new Set(files.map((x) => x.path));
  const needed = [graphs.vision.file, graphs.embed.file, graphs.decoder.file, summaryTokens.file, ...Object.values(lora).map((l) => l.file),
    ...(graphs.layers ? [...graphs.layers.pre, ...graphs.layers.post, graphs.layers.final] : []), ...externalDataFiles(graphs)];
  for (const n of needed) if (!listed.has(n)) throw ModelFormatError.forField('files', `does not list "${n}" (every file the model reads needs a size and sha256)`);

  const out: Manifest = {
    format: PACKAGE_FORMAT, formatVersion, modelId, name: str(m, 'name', ''),
    architecture: { vision, projector, decoder }, fwd2bot, tokens, chatTemplate, preprocessing, graphs,
    tensors: { summaryTokens, lora }, files,
  };
  if (m.quantization !== undefined) out.quantization = obj(m.quantization, 'quantization');
  if (m.eval !== undefined) out.eval = relPath(m, 'eval', '');
  if (m.golden !== undefined) out.golden = relPath(m, 'golden', '');
  if (m.modelCard !== undefined) out.modelCard = relPath(m, 'modelCard', '');
  return out;
}

/** The distinct external-data files the graphs of a package read (format 2), in first-use order. */
export function externalDataFiles(graphs: Manifest['graphs']): string[] {
  const all = [graphs.vision, graphs.embed, graphs.decoder, graphs.layers].map((x) => x?.externalData);
  return [...new Set(all.filter((x): x is string => x !== undefined))];
}

/** The files the per-layer graphs' sessions read: their external data, then the graphs ([] without graphs.layers). */
export function layerFiles(m: Manifest): string[] {
  const lg = m.graphs.layers;
  return lg ? [...(lg.externalData ? [lg.externalData] : []), ...lg.pre, ...lg.post, lg.final] : [];
}

/** (in, out) features of each LoRA-wrapped projection of the decoder. */
export function loraProjectionDims(a: DecoderArchitecture): Record<LoraProjection, [number, number]> {
  const d = a.hiddenSize, q = a.heads * a.headDim, kv = a.kvHeads * a.headDim, I = a.intermediateSize;
  return {
    q_proj: [d, q], k_proj: [d, kv], v_proj: [d, kv], o_proj: [q, d], gate_proj: [d, I], up_proj: [d, I], down_proj: [I, d],
  };
}

/** The K' values chat may cut stored tokens to: nestedK plus K itself. */
export function allowedTokenCounts(m: Manifest): number[] {
  return [...new Set([...m.fwd2bot.nestedK, m.fwd2bot.numSummaryTokens])].sort((a, b) => a - b);
}
