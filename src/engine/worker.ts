// The engine worker's entry: serves EngineMethods over the protocol. Started by client.ts with
// `new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' })`.

import { getOrtDevice, selectBackend } from '../gpu/ort';
import { featuresOfInterest, limitsOfInterest } from '../gpu/probe';
import type { BackendStatus } from './api';
import { EngineHost, type RecoveryReport } from './host';
import type { EngineEvent, EngineMethods } from './protocol';
import { postEvent, serve, transfer, type Endpoint, type Handlers } from './rpc';
import { createWebBackend, webDeviceRecovery } from './webBackend';

const endpoint = self as unknown as Endpoint;
let startupMs = 0;

/** The backend in use now, as the page shows it. */
async function backendStatus(): Promise<BackendStatus> {
  const c = await selectBackend();
  const common = {
    ortVersion: c.ortVersion,
    wasmThreads: c.wasmThreads,
    crossOriginIsolated: self.crossOriginIsolated,
    probe: c.probe,
    startupMs,
    deviceLoss: c.deviceLoss,
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
}

/** After a device loss the engine rebuilt itself: tell the page what it runs on now. */
async function announce(r: RecoveryReport): Promise<void> {
  const event: EngineEvent = { kind: 'backend-changed', status: await backendStatus(), model: r.model, error: r.error };
  postEvent(endpoint, event);
}

const host = new EngineHost(() => createWebBackend(), {
  recovery: webDeviceRecovery,
  onRecovered: (r) => { void announce(r).catch(() => undefined); },
});

// Fault injection, like WEBGL_lose_context: tests (and anyone in devtools, in this worker's scope) can lose
// ORT's GPU device on purpose with `await __fwd2botFaults.loseGpuDevice()`. Nothing in the app calls it.
(globalThis as { __fwd2botFaults?: unknown }).__fwd2botFaults = {
  async loseGpuDevice(): Promise<string> {
    const device = await getOrtDevice();
    device.destroy();
    return device.label || 'ORT device';
  },
};

const handlers: Handlers<EngineMethods> = {
  async probe(ctx): Promise<BackendStatus> {
    const t0 = performance.now();
    ctx.progress({ phase: 'backend', text: 'Checking WebGPU and starting ONNX Runtime' });
    await selectBackend();
    startupMs ||= performance.now() - t0;
    return backendStatus();
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

serve<EngineMethods>(endpoint, handlers);
