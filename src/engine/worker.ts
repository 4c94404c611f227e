// The engine worker's entry: serves EngineMethods over the protocol. Started by client.ts with
// `new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' })`.

import { getOrtDevice, selectBackend } from '../gpu/ort';
import { featuresOfInterest, limitsOfInterest } from '../gpu/probe';
import type { BackendStatus } from './api';
import { EngineHost } from './host';
import type { EngineMethods } from './protocol';
import { serve, transfer, type Endpoint, type Handlers } from './rpc';
import { createWebBackend } from './webBackend';

const host = new EngineHost(() => createWebBackend());

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
  loadModel: (ctx, source) => host.loadModel(source, ctx),
  async compress(ctx, image) {
    const r = await host.compress(image, ctx);
    return transfer(r, [r.tokens.buffer, r.embedding.buffer]);
  },
  chat: (ctx, req) => host.chat(req, ctx),
  caption: (ctx, req) => host.caption(req, ctx),
  async embedText(_ctx, text) {
    const e = await host.embedText(text);
    return transfer(e, [e.buffer]);
  },
  setGallery: (_ctx, gallery) => host.setGallery(gallery),
  search: (_ctx, query, k) => host.search(query, k),
  async rankGallery(_ctx, query, k) {
    const r = await host.rankGallery(query, k);
    return transfer(r, [r.indices.buffer, r.scores.buffer]);
  },
  unloadModel: () => host.unloadModel(),
  async attentionMap(ctx, image, opts) {
    const r = await host.attentionMap(image, opts, ctx);
    return transfer(r, [r.heat.buffer, ...(r.perToken ? [r.perToken.buffer] : [])]);
  },
};

serve<EngineMethods>(self as unknown as Endpoint, handlers);
