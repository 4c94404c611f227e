// WebGPU capability probe. Works in a window and in a dedicated worker (both have navigator.gpu in Chromium).
// It never throws: when WebGPU is unusable it returns `{ usable: false, reason }` with a sentence for the UI.
//
// It requests (and then destroys) a throw-away device to prove requestDevice works. That device is NOT the
// one our kernels use: onnxruntime-web creates its own device (see ort.ts `getOrtDevice`).

/** Adapter identity as the browser reports it (strings may be empty when the browser hides them). */
export interface GpuAdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}

/** The limits our kernels and models size themselves against (adapter maxima, in bytes or counts). */
export interface GpuLimitsOfInterest {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupSizeX: number;
  maxComputeWorkgroupSizeY: number;
  maxComputeWorkgroupSizeZ: number;
  maxComputeWorkgroupsPerDimension: number;
  maxStorageBuffersPerShaderStage: number;
  maxBindGroups: number;
  maxUniformBufferBindingSize: number;
}

/** Features we may branch on. `all` lists every feature string the adapter reports, sorted. */
export interface GpuFeaturesOfInterest {
  shaderF16: boolean;
  subgroups: boolean;
  timestampQuery: boolean;
  all: string[];
}

export type GpuUnusableStage = 'no-navigator-gpu' | 'no-adapter' | 'request-device-failed';

export type GpuProbe =
  | {
      usable: true;
      adapter: GpuAdapterSummary;
      isFallbackAdapter: boolean;
      limits: GpuLimitsOfInterest;
      features: GpuFeaturesOfInterest;
      /** Subgroup size range when the adapter reports it (Chromium does with the `subgroups` feature). */
      subgroupSizes: { min: number; max: number } | null;
    }
  | { usable: false; stage: GpuUnusableStage; reason: string };

const LIMIT_KEYS: readonly (keyof GpuLimitsOfInterest)[] = [
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ', 'maxComputeWorkgroupsPerDimension', 'maxStorageBuffersPerShaderStage',
  'maxBindGroups', 'maxUniformBufferBindingSize',
];

/** Picks the limits of interest from an adapter's or a device's `limits`. */
export function limitsOfInterest(limits: GPUSupportedLimits): GpuLimitsOfInterest {
  const out = {} as GpuLimitsOfInterest;
  for (const k of LIMIT_KEYS) out[k] = Number(limits[k]);
  return out;
}

export function featuresOfInterest(features: GPUSupportedFeatures): GpuFeaturesOfInterest {
  const all = [...features].map(String).sort();
  return {
    shaderF16: features.has('shader-f16'),
    subgroups: features.has('subgroups'),
    timestampQuery: features.has('timestamp-query'),
    all,
  };
}

/** Reads adapter identity; `adapter.info` is current WebGPU, `requestAdapterInfo()` is the pre-2024 API. */
async function adapterInfo(adapter: GPUAdapter): Promise<GPUAdapterInfo | undefined> {
  if (adapter.info) return adapter.info;
  const legacy = (adapter as unknown as { requestAdapterInfo?: () => Promise<GPUAdapterInfo> }).requestAdapterInfo;
  return legacy ? legacy.call(adapter) : undefined;
}

const LINUX_HINT = 'On Linux, Chrome needs --enable-unsafe-webgpu (or a supported GPU and driver) for WebGPU.';

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Probes WebGPU. `gpu` defaults to `navigator.gpu` of the current global (window or worker); pass one
 * explicitly in tests (null: as if the browser had none). Resolves with what a backend choice needs; never rejects.
 */
export async function probeWebGpu(gpu: GPU | null | undefined = globalThis.navigator?.gpu): Promise<GpuProbe> {
  if (!gpu) {
    const secure = (globalThis as { isSecureContext?: boolean }).isSecureContext;
    return {
      usable: false, stage: 'no-navigator-gpu',
      reason: secure === false
        ? 'navigator.gpu is missing because the page is not a secure context (serve it over https or localhost).'
        : 'navigator.gpu is missing: this browser has no WebGPU (use a recent Chrome or Edge).',
    };
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (e) {
    return { usable: false, stage: 'no-adapter', reason: `requestAdapter() threw: ${errorText(e)}. ${LINUX_HINT}` };
  }
  if (!adapter) {
    return { usable: false, stage: 'no-adapter', reason: `requestAdapter() returned null. ${LINUX_HINT}` };
  }
  const info = await adapterInfo(adapter);
  try {
    const device = await adapter.requestDevice();
    device.destroy(); // probe only; ORT makes the device we compute on
  } catch (e) {
    return { usable: false, stage: 'request-device-failed', reason: `requestDevice() failed: ${errorText(e)}` };
  }
  const legacyFallback = (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const min = info?.subgroupMinSize;
  const max = info?.subgroupMaxSize;
  return {
    usable: true,
    adapter: {
      vendor: info?.vendor ?? '',
      architecture: info?.architecture ?? '',
      device: info?.device ?? '',
      description: info?.description ?? '',
    },
    isFallbackAdapter: Boolean(info?.isFallbackAdapter ?? legacyFallback ?? false),
    limits: limitsOfInterest(adapter.limits),
    features: featuresOfInterest(adapter.features),
    subgroupSizes: typeof min === 'number' && typeof max === 'number' && max > 0 ? { min, max } : null,
  };
}
