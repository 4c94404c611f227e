// The only module that imports onnxruntime-web. Everything else uses the small surface below:
//   selectBackend()      WebGPU when it is usable and passes a self-test, else wasm with the reason
//   createSession()      a session wrapper; webgpu creation failures fall back to wasm and say why
//   runExclusive()       the ONE promise chain every session create/run/release goes through
//   getOrtDevice()       ORT's own GPUDevice, the device our WGSL kernels must use
//   recoverFromDeviceLoss()  after that device is lost: a new device for every later session, or wasm
//   tensorFromGpuBuffer  wrap a GPUBuffer (made on ORT's device) as an input tensor
//
// Why one chain: ORT-web cannot run two sessions at once, and its native WebGPU EP throws
// "another WebGPU EP inference session is being created" when two creates overlap.
// Why ORT's device: ORT ignores a device we create and set on `env.webgpu.device`; it publishes the device
// it created there once the first webgpu session exists. We keep the self-test session alive for the life of
// the module so that ORT's WebGPU context (and with it the device) is never torn down under our kernels.
//
// Device loss (driver reset, GPU process crash, `device.destroy()`): every run on the lost device fails,
// and ORT's default WebGPU context never gets a new device (a new default session is created on the dead
// one and fails at its first run; measured on ORT 1.30). ORT 1.30's native WebGPU EP does take a device of
// ours through the EP options (`{ name: 'webgpu', device }`; `env.webgpu.device` is only an output), so
// recoverFromDeviceLoss() requests a new adapter and device, self-tests it, and creates every later webgpu
// session on it; when that fails (or the device was lost too often) the backend becomes wasm with the reason.
// Sessions, buffers and pipelines of the lost device are never reused: sessions remember their device and
// fail fast with DeviceLostError, the buffer pool and pipeline cache drop the device (buffers.ts,
// pipelines.ts), and the engine re-creates its sessions and KV caches (src/engine/host.ts).

import * as ort from 'onnxruntime-web/webgpu';
import { DeviceLostError, OrtSessionError, ShaderF16SupportError, WebGPUNotAvailableError } from './errors';
import { probeWebGpu, type GpuProbe } from './probe';
import { SELF_TEST_EXPECTED, SELF_TEST_INPUT, selfTestModelBytes } from './selfTestModel';

// ---- the few ORT types (and the Tensor constructor) other modules may use ----
export { Tensor } from 'onnxruntime-web/webgpu';
export type OrtTensor = ort.Tensor;
export type TensorDataType = ort.Tensor.Type;
export type GpuBufferDataType = ort.Tensor.GpuBufferDataTypes;
/** Named tensors: session inputs (feeds) or outputs (results). */
export type NamedTensors = Record<string, ort.Tensor>;

export type Backend = 'webgpu' | 'wasm';

export interface BackendChoice {
  backend: Backend;
  /** Why WebGPU is not used (null when it is): the probe's reason, an ORT init error, or a failed self-test. */
  reason: string | null;
  probe: GpuProbe;
  /** shader-f16 on ORT's device. False on wasm: then choose fp32 compute. */
  supportsF16: boolean;
  ortVersion: string;
  /** ORT wasm threads (1 unless the page is cross-origin isolated). */
  wasmThreads: number;
  /** The GPU device losses so far and what became of the backend (null while the first device lives). */
  deviceLoss: DeviceLossRecord | null;
}

/** What happened to ORT's GPU device, for the UI. */
export interface DeviceLossRecord {
  /** How many devices were lost in this worker so far. */
  count: number;
  /** The last loss: GPUDeviceLostInfo.reason ('destroyed' | 'unknown') and its message. */
  reason: string;
  message: string;
  /** Date.now() of the last loss. */
  at: number;
  /** 'new-device': sessions run on a new WebGPU device; 'wasm': no usable GPU device, the CPU computes. */
  outcome: 'new-device' | 'wasm';
}

/** After this many losses the backend stays on wasm: a GPU that keeps resetting is worse than the CPU. */
export const MAX_DEVICE_RECOVERIES = 3;

/** Fault injection for tests: replaces how the replacement adapter/device is requested. Never set elsewhere. */
export const deviceRecoveryTestHooks: { requestDevice: null | (() => Promise<GPUDevice>) } = { requestDevice: null };

/** GPUBufferUsage STORAGE | COPY_SRC | COPY_DST, as numbers so this module loads where WebGPU is absent. */
export const ORT_IO_BUFFER_USAGE = 0x80 | 0x04 | 0x08;

// ---- one chain for ORT ----

let tail: Promise<unknown> = Promise.resolve();

/** Runs `task` after every earlier ORT task has settled. Rejections reach the caller, not the chain. */
export function runExclusive<T>(task: () => Promise<T>): Promise<T> {
  const result = tail.then(task, task);
  tail = result.catch(() => undefined);
  return result;
}

// ---- environment ----

let configured = false;

/** ORT wasm settings; idempotent, and must happen before the first session. Vite 8 needs no wasmPaths. */
export function configureOrt(): void {
  if (configured) return;
  configured = true;
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  // Threads need SharedArrayBuffer (COOP/COEP); leave half the cores to the page, at most 4.
  ort.env.wasm.numThreads = isolated ? Math.max(1, Math.min(4, Math.floor(cores / 2))) : 1;
  ort.env.wasm.proxy = false; // the engine already runs in a worker
  ort.env.logLevel = 'error';
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// ---- backend selection ----

let choice: Promise<BackendChoice> | null = null;
let keepAlive: ort.InferenceSession | null = null; // the self-test session; holds ORT's WebGPU context

/** One GPU device webgpu sessions run on: ORT's own (custom: false) or a replacement of ours after a loss. */
interface DeviceGeneration {
  device: GPUDevice;
  custom: boolean;
  lost: GPUDeviceLostInfo | null;
}

/** The device new webgpu sessions use; null on wasm. */
let gen: DeviceGeneration | null = null;
const lostDevices = new WeakSet<GPUDevice>();
const lostListeners = new Set<(info: GPUDeviceLostInfo) => void>();
let lossRecord: DeviceLossRecord | null = null;
let recovering: Promise<BackendChoice> | null = null;

function watch(g: DeviceGeneration): void {
  void g.device.lost.then((info) => {
    g.lost = info;
    lostDevices.add(g.device);
    if (g === gen) for (const cb of lostListeners) cb(info);
  });
}

function lostError(info: GPUDeviceLostInfo, what: string, cause?: unknown): DeviceLostError {
  return new DeviceLostError(`The GPU device was lost (${info.reason || 'unknown'}: ${info.message || 'no message'}) ${what}.`, {
    data: { reason: info.reason, message: info.message }, ...(cause !== undefined ? { cause } : {}),
  });
}

/** Whether `device` is known to be lost (its `lost` promise has settled). */
export function isDeviceLost(device: GPUDevice): boolean {
  return lostDevices.has(device);
}

/** ORT's current GPU device is lost and recoverFromDeviceLoss() has not replaced it yet. */
export function deviceLost(): GPUDeviceLostInfo | null {
  return gen?.lost ?? null;
}

/**
 * Whether the current device is lost, waiting up to `ms` for its `lost` promise: a failure caused by a loss
 * (a rejected mapAsync) can arrive a moment before the promise settles.
 */
export async function confirmDeviceLost(ms = 100): Promise<boolean> {
  const g = gen;
  if (!g) return false;
  if (g.lost) return true;
  await Promise.race([g.device.lost, new Promise((r) => setTimeout(r, ms))]);
  return g.lost !== null;
}

/** Chooses the backend once per module instance (per worker) and caches the answer. */
export function selectBackend(): Promise<BackendChoice> {
  choice ??= chooseBackend();
  return choice;
}

let settled: BackendChoice | null = null;

/** The choice if selectBackend() has finished, else null (for synchronous callers). */
export function currentBackend(): BackendChoice | null {
  return settled;
}

async function chooseBackend(): Promise<BackendChoice> {
  configureOrt();
  const probe = await probeWebGpu();
  const base = { probe, ortVersion: ort.env.versions.web ?? ort.env.versions.common };
  let reason = probe.usable ? await selfTest('webgpu') : probe.reason;
  let result: BackendChoice;
  if (reason === null) {
    const device = (await ort.env.webgpu.device) as GPUDevice;
    gen = { device, custom: false, lost: null };
    watch(gen);
    result = { ...base, backend: 'webgpu', reason, supportsF16: device.features.has('shader-f16'), wasmThreads: ort.env.wasm.numThreads ?? 1, deviceLoss: null };
  } else {
    // Prove the fallback really runs before reporting it; without it nothing can compute at all.
    const wasmFailure = await selfTest('wasm');
    if (wasmFailure) {
      throw new OrtSessionError(`ONNX Runtime could not start (WebGPU: ${reason}; wasm: ${wasmFailure}).`, {
        hint: 'Use a recent Chrome, Edge or Firefox with WebAssembly enabled, then reload the page.',
      });
    }
    reason ||= 'WebGPU is not usable';
    result = { ...base, backend: 'wasm', reason, supportsF16: false, wasmThreads: ort.env.wasm.numThreads ?? 1, deviceLoss: null };
  }
  settled = result;
  return result;
}

/**
 * Creates the self-test model on `backend` and runs it; returns why that failed, or null on success.
 * A passing webgpu session is kept (see the header) so ORT's device lives as long as this module.
 */
async function selfTest(backend: Backend, device?: GPUDevice): Promise<string | null> {
  return runExclusive(async () => {
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(selfTestModelBytes(), { executionProviders: [provider(backend, device)] });
    } catch (e) {
      return `onnxruntime-web could not start its ${backend === 'webgpu' ? 'WebGPU' : 'wasm'} backend: ${message(e)}`;
    }
    let failure: string | null = null;
    try {
      const out = await session.run({ x: new ort.Tensor('float32', SELF_TEST_INPUT.slice(), [2]) });
      const y = (await out.y.getData()) as Float32Array; // (2,) float32
      if (y.length !== 2 || y[0] !== SELF_TEST_EXPECTED[0] || y[1] !== SELF_TEST_EXPECTED[1]) {
        failure = `the ${backend} self-test computed [${[...y].join(', ')}] instead of [3, -4]`;
      }
    } catch (e) {
      failure = `the ${backend} self-test run failed: ${message(e)}`;
    }
    if (backend === 'webgpu' && failure === null) keepAlive = session;
    else await session.release().catch(() => undefined);
    return failure;
  });
}

/** The execution provider entry: ORT's default WebGPU device, or a device of ours (after a loss). */
function provider(backend: Backend, device?: GPUDevice): ort.InferenceSession.ExecutionProviderConfig {
  return backend === 'webgpu' && device ? { name: 'webgpu', device } as ort.InferenceSession.ExecutionProviderConfig : backend;
}

/** Limits ORT's WebGPU EP asks of its own device (webgpu_context.cc): the replacement gets the same. */
const REPLACEMENT_LIMITS = [
  'maxBindGroups', 'maxComputeWorkgroupStorageSize', 'maxComputeWorkgroupsPerDimension', 'maxStorageBufferBindingSize',
  'maxBufferSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ', 'maxStorageBuffersPerShaderStage',
] as const;

async function requestReplacementDevice(): Promise<GPUDevice> {
  if (deviceRecoveryTestHooks.requestDevice) return deviceRecoveryTestHooks.requestDevice();
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) throw new Error('navigator.gpu is gone');
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('requestAdapter() returned no adapter');
  const requiredLimits: Record<string, number> = {};
  for (const k of REPLACEMENT_LIMITS) {
    const v = (adapter.limits as unknown as Record<string, number | undefined>)[k];
    if (typeof v === 'number') requiredLimits[k] = v;
  }
  return adapter.requestDevice({ requiredFeatures: [...adapter.features] as GPUFeatureName[], requiredLimits, label: 'fwd2bot.ort.replacement' });
}

/**
 * After ORT's device was lost: requests a new adapter and device, checks it with the self-test model and makes
 * it the device of every later webgpu session (and of getOrtDevice()). When that fails, or after
 * MAX_DEVICE_RECOVERIES losses, the backend becomes wasm, with the reason. Sessions created before stay dead:
 * re-create them. Concurrent calls share one recovery; without a lost device it returns the current choice.
 */
export function recoverFromDeviceLoss(): Promise<BackendChoice> {
  if (recovering) return recovering;
  if (!gen?.lost) return selectBackend();
  recovering = recover(gen, gen.lost).finally(() => { recovering = null; });
  return recovering;
}

async function recover(old: DeviceGeneration, info: GPUDeviceLostInfo): Promise<BackendChoice> {
  const before = settled ?? (await selectBackend());
  const count = (lossRecord?.count ?? 0) + 1;
  const at = Date.now();
  const dead = keepAlive;
  keepAlive = null;
  if (dead) await runExclusive(() => dead.release()).catch(() => undefined);
  if (old.custom) old.device.destroy();
  let failure: string | null = null;
  let next: DeviceGeneration | null = null;
  if (count >= MAX_DEVICE_RECOVERIES) {
    failure = `it was lost ${count} times, so the CPU is used for the rest of this session`;
  } else {
    try {
      next = { device: await requestReplacementDevice(), custom: true, lost: null };
      watch(next);
      const bad = await selfTest('webgpu', next.device);
      if (bad) failure = bad;
    } catch (e) {
      failure = `a new GPU device could not be started: ${message(e)}`;
    }
    if (failure && next) {
      next.device.destroy();
      next = null;
    }
  }
  const loss = { count, reason: info.reason || 'unknown', message: info.message || '', at };
  let result: BackendChoice;
  if (next) {
    gen = next;
    lossRecord = { ...loss, outcome: 'new-device' };
    result = { ...before, backend: 'webgpu', reason: null, supportsF16: next.device.features.has('shader-f16'), deviceLoss: lossRecord };
  } else {
    gen = null;
    const wasmFailure = await selfTest('wasm');
    if (wasmFailure) {
      throw new OrtSessionError(`The GPU device was lost and ONNX Runtime could not fall back to wasm: ${wasmFailure}.`, {
        hint: 'Reload the page.',
      });
    }
    lossRecord = { ...loss, outcome: 'wasm' };
    const reason = `The GPU device was lost (${loss.reason}${loss.message ? `: ${loss.message}` : ''}) and ${failure}; the CPU (wasm) computes now, more slowly.`;
    result = { ...before, backend: 'wasm', reason, supportsF16: false, deviceLoss: lossRecord };
  }
  settled = result;
  choice = Promise.resolve(result);
  return result;
}

/**
 * ORT's own GPUDevice (initialising ORT's WebGPU backend first). Our kernels must run on it so that
 * GPU buffers can pass between them and ORT sessions. Throws WebGPUNotAvailableError on the wasm backend
 * and DeviceLostError once the device is lost.
 */
export async function getOrtDevice(): Promise<GPUDevice> {
  const c = await selectBackend();
  const g = gen;
  if (c.backend !== 'webgpu' || !g) {
    throw new WebGPUNotAvailableError(`WebGPU is not in use: ${c.reason}`, { data: { reason: c.reason } });
  }
  if (g.lost) throw lostError(g.lost, 'and has not been replaced yet');
  return g.device;
}

/** Calls `cb` when ORT's current device is lost (each device, once). Returns an unsubscribe function. */
export function onOrtDeviceLost(cb: (info: GPUDeviceLostInfo) => void): () => void {
  lostListeners.add(cb);
  return () => lostListeners.delete(cb);
}

// ---- sessions ----

export type ModelSource = Uint8Array | ArrayBuffer | string | URL;

export interface CreateSessionOptions {
  /** Default: the selected backend. */
  backend?: Backend;
  /** Keep outputs on the GPU (`gpu-buffer`): all of them, or the named ones. Ignored on wasm. */
  gpuOutputs?: boolean | readonly string[];
  /** When creating on webgpu throws, try wasm and record why (default true). */
  fallbackToWasm?: boolean;
  /** Shown in error messages (e.g. the model file name). */
  name?: string;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Fix symbolic dims (e.g. { batch: 1 }) so ORT can plan memory. */
  freeDimensionOverrides?: Record<string, number>;
  /**
   * ONNX external-data files the graph's initializers live in, under the `location` the graph names
   * (docs/MODEL_PACKAGE.md "Shared weights"). Handed to ORT as they are: it reads them while the session is
   * created and keeps no reference.
   */
  externalData?: readonly ExternalData[];
}

export interface ExternalData { path: string; data: Uint8Array }

export interface OrtSession {
  readonly name: string;
  readonly backend: Backend;
  /** Why this session is on wasm although webgpu was asked for; null otherwise. */
  readonly fallbackReason: string | null;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs through the ORT chain. GPU outputs are owned by the caller: `dispose()` them when done. */
  run(feeds: NamedTensors, fetches?: readonly string[]): Promise<NamedTensors>;
  release(): Promise<void>;
}

function sessionOptions(backend: Backend, opts: CreateSessionOptions, device?: GPUDevice): ort.InferenceSession.SessionOptions {
  const o: ort.InferenceSession.SessionOptions = { executionProviders: [provider(backend, device)] };
  if (opts.graphOptimizationLevel) o.graphOptimizationLevel = opts.graphOptimizationLevel;
  if (opts.freeDimensionOverrides) o.freeDimensionOverrides = opts.freeDimensionOverrides;
  if (opts.externalData?.length) o.externalData = opts.externalData.map((x) => ({ path: x.path, data: x.data }));
  if (backend === 'webgpu' && opts.gpuOutputs) {
    o.preferredOutputLocation = opts.gpuOutputs === true
      ? 'gpu-buffer'
      : Object.fromEntries(opts.gpuOutputs.map((n) => [n, 'gpu-buffer' as const]));
  }
  return o;
}

async function createOn(backend: Backend, model: ModelSource, opts: CreateSessionOptions, device?: GPUDevice): Promise<ort.InferenceSession> {
  const options = sessionOptions(backend, opts, device);
  // Copy bytes: ORT may transfer/detach what it is given, and callers may reuse theirs.
  if (typeof model === 'string') return ort.InferenceSession.create(model, options);
  if (model instanceof URL) return ort.InferenceSession.create(model.href, options);
  const bytes = model instanceof Uint8Array ? model.slice() : new Uint8Array(model.slice(0));
  return ort.InferenceSession.create(bytes, options);
}

/** ORT's message when a kernel needs f16 shaders the device lacks (native WebGPU EP, at run time). */
const F16_MISSING = /requires f16 but the device does not support it/i;

/** Names of float16 inputs/outputs: such a model needs shader-f16 on the webgpu EP. */
function float16Values(s: ort.InferenceSession): string[] {
  return [...s.inputMetadata, ...s.outputMetadata].filter((m) => m.isTensor && m.type === 'float16').map((m) => m.name);
}

/**
 * Creates a session on the chosen (or requested) backend; see CreateSessionOptions.
 * Without shader-f16 a model with float16 inputs/outputs is not created on webgpu (ORT would accept it and
 * fail at the first run): it goes to wasm with a reason, or is refused with ShaderF16SupportError.
 * A model that only uses f16 inside is caught at run time: run() throws ShaderF16SupportError.
 */
export async function createSession(model: ModelSource, opts: CreateSessionOptions = {}): Promise<OrtSession> {
  const chosen = await selectBackend();
  const name = opts.name ?? (typeof model === 'string' || model instanceof URL ? String(model) : 'in-memory model');
  const fallback = opts.fallbackToWasm !== false;
  let backend: Backend = opts.backend ?? chosen.backend;
  let fallbackReason: string | null = null;
  const device = backend === 'webgpu' ? gen : null;
  const session = await runExclusive(async () => {
    if (backend === 'webgpu' && !device) {
      // The backend became wasm (a lost device that could not be replaced): ORT's default context is dead.
      const why = `WebGPU is not in use: ${(settled ?? chosen).reason ?? 'no GPU device'}`;
      if (!fallback) throw new WebGPUNotAvailableError(`Could not create a WebGPU session for ${name}: ${why}`, { data: { model: name } });
      fallbackReason = why;
      backend = 'wasm';
    }
    if (backend === 'webgpu' && device) {
      // A session created on a lost device would only fail at its first run.
      if (device.lost) throw lostError(device.lost, `before ${name} could be created`);
      let gpu: ort.InferenceSession | null = null;
      try {
        gpu = await createOn('webgpu', model, opts, device.custom ? device.device : undefined);
      } catch (e) {
        if (!fallback) throw new OrtSessionError(`Could not create a WebGPU session for ${name}: ${message(e)}`, { data: { model: name, backend }, cause: e });
        fallbackReason = `creating the WebGPU session failed: ${message(e)}`;
      }
      const f16 = gpu && !device.device.features.has('shader-f16') ? float16Values(gpu) : [];
      if (gpu && f16.length === 0) return gpu;
      if (gpu) {
        await gpu.release();
        const why = `${name} has float16 values (${f16.join(', ')}) and this GPU lacks shader-f16`;
        if (!fallback) throw new ShaderF16SupportError(`${why}.`, { data: { model: name, values: f16 } });
        fallbackReason = why;
      }
      backend = 'wasm';
    }
    try {
      return await createOn('wasm', model, opts);
    } catch (e) {
      throw new OrtSessionError(`Could not create a session for ${name}: ${message(e)}`, { data: { model: name, backend }, cause: e });
    }
  });
  return wrapSession(session, name, backend, fallbackReason, backend === 'webgpu' ? device : null);
}

function wrapSession(s: ort.InferenceSession, name: string, backend: Backend, fallbackReason: string | null, device: DeviceGeneration | null): OrtSession {
  let released = false;
  return {
    name, backend, fallbackReason,
    inputNames: s.inputNames,
    outputNames: s.outputNames,
    run(feeds, fetches) {
      return runExclusive(async () => {
        if (released) throw new OrtSessionError(`Session ${name} was already released.`);
        // A session of a lost device never runs again (its buffers are gone): fail fast, say why.
        if (device?.lost) throw lostError(device.lost, `before ${name} could run; re-create the session`);
        try {
          return fetches ? await s.run(feeds, [...fetches]) : await s.run(feeds);
        } catch (e) {
          if (device && !device.lost) await Promise.race([device.device.lost, new Promise((r) => setTimeout(r, 100))]);
          if (device?.lost) throw lostError(device.lost, `while running ${name}`, e);
          if (F16_MISSING.test(message(e))) {
            throw new ShaderF16SupportError(`${name} uses float16 on the GPU, which lacks shader-f16.`, { data: { model: name }, cause: e });
          }
          throw new OrtSessionError(`Running ${name} failed: ${message(e)}`, { data: { model: name, backend }, cause: e });
        }
      });
    },
    release() {
      return runExclusive(async () => {
        if (released) return;
        released = true;
        try {
          await s.release();
        } catch (e) {
          if (!device?.lost) throw e; // releasing a session of a lost device may fail; nothing is left to free
        }
      });
    },
  };
}

// ---- GPU-buffer IO binding ----

const BYTES_PER: Record<GpuBufferDataType, number> = {
  float32: 4, float16: 2, int32: 4, int64: 8, uint32: 4, uint8: 1, bool: 1,
};

/**
 * Wraps `buffer` (created on ORT's device with at least STORAGE usage, see ORT_IO_BUFFER_USAGE) as a
 * tensor of `dims`. The buffer stays ours: the tensor does not destroy it.
 */
export function tensorFromGpuBuffer(buffer: GPUBuffer, dims: readonly number[], dtype: GpuBufferDataType = 'float32'): ort.Tensor {
  const needed = dims.reduce((a, b) => a * b, 1) * BYTES_PER[dtype];
  if (buffer.size < needed) {
    throw new RangeError(`GPU buffer of ${buffer.size} bytes is too small for ${dtype} (${dims.join(', ')}) = ${needed} bytes`);
  }
  return ort.Tensor.fromGpuBuffer(buffer, { dataType: dtype, dims });
}

/** The GPUBuffer behind a tensor that a `gpuOutputs` session returned; throws if it lives on the CPU. */
export function gpuBufferOf(t: ort.Tensor): GPUBuffer {
  if (t.location !== 'gpu-buffer') throw new TypeError(`tensor is on '${t.location}', not 'gpu-buffer'`);
  return t.gpuBuffer as GPUBuffer;
}

/**
 * A float32 tensor uploaded once into a new GPU buffer on ORT's device (weights-like inputs that many runs
 * bind: LoRA factors, summary tokens). `dispose()` on the tensor destroys the buffer.
 */
export async function uploadFloat32(data: Float32Array, dims: readonly number[]): Promise<ort.Tensor> {
  const device = await getOrtDevice();
  const bytes = Math.max(4, data.byteLength);
  const buffer = device.createBuffer({ size: Math.ceil(bytes / 4) * 4, usage: ORT_IO_BUFFER_USAGE, label: 'ort.constant' });
  device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  return ort.Tensor.fromGpuBuffer(buffer, { dataType: 'float32', dims, dispose: () => buffer.destroy() });
}
