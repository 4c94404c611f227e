// What the engine core needs from an ONNX runtime, so the same core runs in the browser (onnxruntime-web,
// src/engine/webBackend.ts over src/gpu/ort.ts) and in Node (onnxruntime-node, cli/ortNode.ts).
//
// Tensors stay opaque: the core creates them through the backend, passes outputs of one run as inputs of
// the next (the KV cache stays where the backend put it: a GPUBuffer on WebGPU) and reads to the CPU only
// what it needs (logits of the last position, hidden states of the summary positions).

/** An ort.Tensor of either runtime, seen structurally. */
export interface BackendTensor {
  readonly dims: readonly number[];
  readonly type: string;
  /** 'cpu' | 'gpu-buffer' | ... */
  readonly location: string;
  getData(releaseData?: boolean): Promise<unknown>;
  dispose(): void;
}

export type NamedBackendTensors = Record<string, BackendTensor>;

export interface BackendSession {
  readonly name: string;
  /** Where this session really runs ('webgpu', 'wasm', 'cpu'). */
  readonly device: string;
  /** Why this session runs on wasm although WebGPU was chosen (null otherwise). */
  readonly fallbackReason?: string | null;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs the graph (serialised with every other run of this backend). Returns only `fetches` when given. */
  run(feeds: NamedBackendTensors, fetches?: readonly string[]): Promise<NamedBackendTensors>;
  /**
   * A float32 input that lives as long as the model (LoRA factors, summary tokens): on WebGPU uploaded once
   * into a GPU buffer, so binding it per run copies nothing; elsewhere a CPU tensor.
   */
  constant(data: Float32Array, dims: readonly number[]): Promise<BackendTensor>;
  release(): Promise<void>;
}

export interface SessionOptions {
  /** File name, for messages. */
  name: string;
  /** Outputs to keep on the GPU when the session runs on WebGPU (the KV cache). Ignored elsewhere. */
  gpuOutputs?: readonly string[];
  /** External-data files of the graph (the package's shared decoder weights), by the location the graph names. */
  externalData?: readonly { path: string; data: Uint8Array }[];
}

export interface InferenceBackend {
  /**
   * The WGSL attention of the kernel decoder path (WebGPU only; absent or null elsewhere). `shape` is the
   * decoder's (layers, Hq, Hkv, hd).
   */
  kernelAttention?(shape: import('./kernelDecoder').AttentionShape): Promise<import('./kernelDecoder').LayerAttentionFactory | null>;
  /** 'webgpu' | 'wasm' (onnxruntime-web) | 'cpu' (onnxruntime-node). */
  readonly kind: string;
  /** Why the backend is not WebGPU although it was asked for (shown in the UI); null otherwise. */
  readonly fallbackReason: string | null;
  createSession(bytes: Uint8Array, opts: SessionOptions): Promise<BackendSession>;
  float32(data: Float32Array, dims: readonly number[]): BackendTensor;
  int64(data: BigInt64Array, dims: readonly number[]): BackendTensor;
}

/** Reads a float32 tensor (CPU or GPU) into a Float32Array. */
export async function readFloat32(t: BackendTensor): Promise<Float32Array> {
  if (t.type !== 'float32') throw new TypeError(`expected a float32 tensor, got ${t.type}`);
  return (await t.getData()) as Float32Array;
}

/** Number of elements of a shape. */
export function numel(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}
