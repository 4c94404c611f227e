// The engine worker's entry: serves EngineMethods over the protocol. Started by client.ts with
// `new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' })`.

import { getOrtDevice, selectBackend } from '../gpu/ort';
import { featuresOfInterest, limitsOfInterest } from '../gpu/probe';
import type { BackendStatus } from './api';
import type { EngineMethods } from './protocol';
import { serve, type Endpoint, type Handlers } from './rpc';

const handlers: Handlers<EngineMethods> = {
  async probe(ctx): Promise<BackendStatus> {
    const t0 = performance.now();
    ctx.progress({ phase: 'backend', text: 'Checking WebGPU and starting ONNX Runtime' });
    const c = await selectBackend();
    const common = {
      ortVersion: c.ortVersion,
      wasmThreads: c.wasmThreads,
      crossOriginIsolated: self.crossOriginIsolated,
      probe: c.probe,
      startupMs: performance.now() - t0,
    };
    if (c.backend === 'wasm' || !c.probe.usable) {
      return { ...common, backend: 'wasm', reason: c.reason ?? 'WebGPU is not usable', compute: 'fp32' };
    }
    const device = await getOrtDevice();
    return {
      ...common,
      backend: 'webgpu',
      adapter: c.probe.adapter,
      isFallbackAdapter: c.probe.isFallbackAdapter,
      supportsF16: c.supportsF16,
      compute: c.supportsF16 ? 'fp16' : 'fp32',
      deviceLimits: limitsOfInterest(device.limits),
      deviceFeatures: featuresOfInterest(device.features),
    };
  },
};

serve<EngineMethods>(self as unknown as Endpoint, handlers);
