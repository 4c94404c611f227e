// A loaded model: the three sessions (vision, embed, decoder), the tokenizer and chat template, the summary
// tokens H_r and both LoRA adapters bound once as decoder inputs. Switching between pass 1 (compress) and
// pass 2 (generate) picks the other adapter's tensors; nothing is reloaded.

import { ModelFormatError } from '../../model/errors';
import { loraProjectionDims, LORA_PROJECTIONS, type Manifest } from '../../model/manifest';
import { TOKENIZER_FILE, type ModelPackage } from '../../model/package';
import { ChatTemplate } from '../../model/template';
import { Tokenizer } from '../../model/tokenizer';
import type { BackendSession, InferenceBackend, NamedBackendTensors } from './backend';
import { loraFeeds, type LayerSessions } from './kernelDecoder';

export type Pass = 'compress' | 'generate';

export interface LoadedModel {
  readonly manifest: Manifest;
  readonly tokenizer: Tokenizer;
  readonly template: ChatTemplate;
  readonly backend: InferenceBackend;
  readonly vision: BackendSession;
  readonly embed: BackendSession;
  /**
   * decoder.onnx's session; null once released because this engine runs the per-layer path instead
   * (Engine.load on WebGPU keeps only the decoder it measured faster, so the weights are in GPU memory once).
   */
  decoder: BackendSession | null;
  /** (K, d) fp32: H_r, the learned summary-token inputs of pass 1. */
  readonly summaryTokens: Float32Array;
  /** The decoder's LoRA inputs for each pass (constants: GPU buffers on WebGPU). */
  readonly adapters: Record<Pass, NamedBackendTensors>;
  /** past_key_values.{i}.{key,value} in input order, and the matching present.* outputs. */
  readonly pastNames: readonly string[];
  readonly presentNames: readonly string[];
  /**
   * The per-layer graphs (kernel decoder path, attention maps) when the package has them (manifest
   * graphs.layers) and they were created: loadModel creates them unless told not to, and
   * `attachLayerSessions` creates them later (the engine does so on first use where only attention maps need them).
   */
  layers?: LayerSessions;
  /** Shape facts used everywhere. */
  readonly d: number;
  readonly K: number;
  readonly vocab: number;
  readonly kvHeads: number;
  readonly headDim: number;
}

export interface CompileProgress {
  /** Session being created, e.g. "decoder.onnx". */
  file: string;
  done: number;
  total: number;
}

const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Little-endian fp32 bytes -> Float32Array (a copy, aligned). */
export function float32FromBytes(bytes: Uint8Array, file: string, offset = 0, count = (bytes.length - offset) / 4): Float32Array {
  if (!Number.isInteger(count) || offset + 4 * count > bytes.length) {
    throw ModelFormatError.forFile(file, `needs ${offset + 4 * count} bytes for ${count} float32 values at offset ${offset}, has ${bytes.length}`);
  }
  const out = new Float32Array(count);
  if (le) new Uint8Array(out.buffer).set(bytes.subarray(offset, offset + 4 * count));
  else {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < count; i++) out[i] = dv.getFloat32(offset + 4 * i, true);
  }
  return out;
}

function requireNames(session: BackendSession, file: string, kind: 'input' | 'output', names: readonly string[]): void {
  const have = new Set(kind === 'input' ? session.inputNames : session.outputNames);
  const missing = names.filter((n) => !have.has(n));
  if (missing.length) {
    throw ModelFormatError.forFile(file, `has no ${kind}${missing.length > 1 ? 's' : ''} ${missing.slice(0, 4).map((n) => `"${n}"`).join(', ')}${missing.length > 4 ? ` and ${missing.length - 4} more` : ''} (see docs/MODEL_PACKAGE.md)`);
  }
}

/** The LoRA tensors of one adapter file: name -> (shape, fp32 values). */
function readAdapter(m: Manifest, stage: string, bytes: Uint8Array): Map<string, { dims: number[]; data: Float32Array }> {
  const spec = m.tensors.lora[stage];
  const out = new Map<string, { dims: number[]; data: Float32Array }>();
  for (const e of spec.entries) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    out.set(e.name, { dims: e.shape, data: float32FromBytes(bytes, spec.file, e.offset, n) });
  }
  return out;
}

/** Zero LoRA factors of rank 1 ("no adapter"), for a pass whose stage is null. */
function zeroAdapter(m: Manifest): Map<string, { dims: number[]; data: Float32Array }> {
  const dims = loraProjectionDims(m.architecture.decoder);
  const out = new Map<string, { dims: number[]; data: Float32Array }>();
  for (let i = 0; i < m.architecture.decoder.layers; i++) {
    for (const p of LORA_PROJECTIONS) {
      const [inF, outF] = dims[p];
      out.set(`lora.${i}.${p}.A`, { dims: [1, inF], data: new Float32Array(inF) });
      out.set(`lora.${i}.${p}.B`, { dims: [outF, 1], data: new Float32Array(outF) });
    }
  }
  return out;
}

export interface LoadModelOptions {
  /**
   * Create the per-layer graphs' sessions now (default true). false: leave `layers` unset, to be created by
   * `attachLayerSessions` when first needed; the decoder weights are then in memory once (decoder.onnx's).
   */
  layers?: boolean;
}

/** The shared external-data file of a graph (format 2), from the package's bytes. */
function externalDataOf(path: string | undefined, file: (p: string) => Uint8Array) {
  return path === undefined ? undefined : [{ path, data: file(path) }];
}

/** A package file's checked bytes, or a ModelFormatError naming the file. */
function fileGetter(files: ReadonlyMap<string, Uint8Array>): (p: string) => Uint8Array {
  return (p: string) => {
    const b = files.get(p);
    if (!b) throw ModelFormatError.forFile(p, 'was not loaded with the package');
    return b;
  };
}

/**
 * Creates the sessions and binds the tensors of a checked package. `onCompile` reports each session as it
 * is created. On failure, whatever was created is released.
 */
export async function loadModel(backend: InferenceBackend, pkg: ModelPackage, onCompile?: (p: CompileProgress) => void,
  opts: LoadModelOptions = {}): Promise<LoadedModel> {
  const m = pkg.manifest;
  if (m.fwd2bot.passOneAttention !== 'causal') {
    throw ModelFormatError.forField('fwd2bot.passOneAttention',
      `is "${m.fwd2bot.passOneAttention}": the format-1 decoder graph has no attention-mask input, so this app runs "causal" pass-1 models only`,
      { hint: 'Export the causal variant of the model.' });
  }
  const file = fileGetter(pkg.files);
  const tokenizer = Tokenizer.fromJson(new TextDecoder().decode(file(TOKENIZER_FILE)));
  const dec = m.architecture.decoder;
  if (tokenizer.vocabSize > dec.vocabSize) {
    throw ModelFormatError.forFile(TOKENIZER_FILE, `has ${tokenizer.vocabSize} tokens, the decoder only ${dec.vocabSize}`);
  }
  const d = dec.hiddenSize, K = m.fwd2bot.numSummaryTokens;
  const summaryTokens = float32FromBytes(file(m.tensors.summaryTokens.file), m.tensors.summaryTokens.file);
  if (summaryTokens.length !== K * d) {
    throw ModelFormatError.forFile(m.tensors.summaryTokens.file, `holds ${summaryTokens.length} values, (K, d) = (${K}, ${d}) needs ${K * d}`);
  }
  const pastNames: string[] = [], presentNames: string[] = [];
  for (let i = 0; i < dec.layers; i++) {
    for (const kv of ['key', 'value']) {
      pastNames.push(`past_key_values.${i}.${kv}`);
      presentNames.push(`present.${i}.${kv}`);
    }
  }
  const graphs = [m.graphs.vision, m.graphs.embed, m.graphs.decoder];
  const sessions: BackendSession[] = [];
  try {
    for (const [i, g] of graphs.entries()) {
      onCompile?.({ file: g.file, done: i, total: graphs.length });
      const isDecoder = g === m.graphs.decoder;
      sessions.push(await backend.createSession(file(g.file), {
        name: g.file, gpuOutputs: isDecoder ? presentNames : undefined, externalData: externalDataOf(g.externalData, file),
      }));
    }
    onCompile?.({ file: '', done: graphs.length, total: graphs.length });
    const [vision, embed, decoder] = sessions;
    requireNames(vision, m.graphs.vision.file, 'input', ['pixel_values']);
    requireNames(vision, m.graphs.vision.file, 'output', ['vision_tokens']);
    requireNames(embed, m.graphs.embed.file, 'input', ['input_ids']);
    requireNames(embed, m.graphs.embed.file, 'output', ['inputs_embeds']);
    requireNames(decoder, m.graphs.decoder.file, 'input', ['inputs_embeds', ...pastNames]);
    requireNames(decoder, m.graphs.decoder.file, 'output', ['logits', 'hidden_states', ...presentNames]);
    const loraInputs = decoder.inputNames.filter((n) => n.startsWith('lora.'));
    const bind = async (pass: Pass): Promise<NamedBackendTensors> => {
      const stage = m.fwd2bot.stageForPass[pass];
      const tensors = stage === null ? zeroAdapter(m) : readAdapter(m, stage, file(m.tensors.lora[stage].file));
      const where = stage === null ? '(zero adapter)' : m.tensors.lora[stage].file;
      const out: NamedBackendTensors = {};
      for (const name of loraInputs) {
        const t = tensors.get(name);
        if (!t) throw ModelFormatError.forFile(where, `has no tensor "${name}", which ${m.graphs.decoder.file} takes as input`);
        out[name] = await decoder.constant(t.data, t.dims);
      }
      return out;
    };
    const compress = await bind('compress');
    const generate = m.fwd2bot.stageForPass.generate === m.fwd2bot.stageForPass.compress ? compress : await bind('generate');
    const layers = m.graphs.layers && opts.layers !== false
      ? await createLayerSessions(backend, m, file, { compress, generate }) : undefined;
    return {
      manifest: m, tokenizer, template: new ChatTemplate(m, tokenizer), backend, vision, embed, decoder, summaryTokens,
      adapters: { compress, generate }, pastNames, presentNames, layers,
      d, K, vocab: dec.vocabSize, kvHeads: dec.kvHeads, headDim: dec.headDim,
    };
  } catch (e) {
    await Promise.all(sessions.map((s) => s.release().catch(() => undefined)));
    throw e;
  }
}

/**
 * The per-layer graphs' sessions (manifest graphs.layers), fed the adapters already bound for decoder.onnx
 * (the same tensor objects: nothing is uploaded twice). On failure, whatever was created is released.
 */
async function createLayerSessions(backend: InferenceBackend, m: Manifest, file: (p: string) => Uint8Array,
  adapters: Record<Pass, NamedBackendTensors>): Promise<LayerSessions> {
  const lg = m.graphs.layers;
  if (!lg) throw ModelFormatError.forField('graphs.layers', 'is missing: this package has no per-layer graphs');
  const dec = m.architecture.decoder;
  const sessions: BackendSession[] = [];
  try {
    const make = async (f: string, gpuOutputs?: string[]) => {
      const s = await backend.createSession(file(f), { name: f, gpuOutputs, externalData: externalDataOf(lg.externalData, file) });
      sessions.push(s);
      return s;
    };
    const pre: BackendSession[] = [], post: BackendSession[] = [];
    for (let i = 0; i < dec.layers; i++) {
      pre.push(await make(lg.pre[i], ['q', 'k', 'v']));
      requireNames(pre[i], lg.pre[i], 'input', ['hidden', 'position_ids']);
      requireNames(pre[i], lg.pre[i], 'output', ['q', 'k', 'v']);
      post.push(await make(lg.post[i], ['hidden_out']));
      requireNames(post[i], lg.post[i], 'input', ['hidden', 'attn']);
      requireNames(post[i], lg.post[i], 'output', ['hidden_out']);
    }
    const final = await make(lg.final);
    requireNames(final, lg.final, 'output', ['logits', 'hidden_states']);
    const feeds = (a: NamedBackendTensors) => ({
      pre: pre.map((s, i) => loraFeeds(s, a, lg.pre[i])), post: post.map((s, i) => loraFeeds(s, a, lg.post[i])),
    });
    const shape = { layers: dec.layers, Hq: dec.heads, Hkv: dec.kvHeads, hd: dec.headDim };
    const onGpu = [...pre, ...post].every((s) => s.device === 'webgpu');
    const kernels = onGpu && backend.kernelAttention ? await backend.kernelAttention(shape) : null;
    return {
      pre, post, final, feeds: { compress: feeds(adapters.compress), generate: feeds(adapters.generate) }, shape, kernels,
      path: 'ort', reason: kernels ? 'not measured yet' : 'the WGSL kernels need WebGPU',
    };
  } catch (e) {
    await Promise.all(sessions.map((s) => s.release().catch(() => undefined)));
    throw e;
  }
}

/**
 * Creates a loaded model's per-layer sessions from `files` (the layer graphs and their external-data file,
 * checked: package.ts readPackageFiles) when loadModel was told not to. Returns the model's layers.
 */
export async function attachLayerSessions(model: LoadedModel, files: ReadonlyMap<string, Uint8Array>): Promise<LayerSessions> {
  if (model.layers) return model.layers;
  model.layers = await createLayerSessions(model.backend, model.manifest, fileGetter(files), model.adapters);
  return model.layers;
}

/** Releases the sessions and the adapter tensors. */
export async function releaseModel(model: LoadedModel): Promise<void> {
  const seen = new Set<unknown>();
  for (const pass of ['compress', 'generate'] as const) {
    for (const t of Object.values(model.adapters[pass])) {
      if (seen.has(t)) continue;
      seen.add(t);
      t.dispose();
    }
  }
  await Promise.all([model.vision.release(), model.embed.release(), model.decoder?.release(),
    model.layers && releaseLayerSessions(model.layers)]);
}

/** Releases the per-layer sessions (not the adapters they share with decoder.onnx). */
export async function releaseLayerSessions(l: LayerSessions): Promise<void> {
  await Promise.all([...l.pre, ...l.post, l.final].map((s) => s.release()));
}
