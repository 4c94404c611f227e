// Shared by the device-loss browser tests: the engine host in the page (as the worker runs it, with the
// same device-loss recovery) behind the app's AppEngine port, so the real indexing runner and chat session
// drive it; and small GPU helpers.
import { engineForApp } from '../../../src/app/engineAdapter';
import type { AppEngine } from '../../../src/app/enginePort';
import type { BackendChange, BackendStatus, EngineApi } from '../../../src/engine/api';
import type { DecoderPath } from '../../../src/engine/core/kernelDecoder';
import { EngineHost, type HostContext, type RecoveryReport } from '../../../src/engine/host';
import { createWebBackend, webDeviceRecovery } from '../../../src/engine/webBackend';
import { getOrtDevice } from '../../../src/gpu/ort';

export interface InPageEngine {
  host: EngineHost;
  app: AppEngine;
  /** Every rebuild the host reported, oldest first. */
  recoveries: RecoveryReport[];
}

const ctx = (signal?: AbortSignal): HostContext => ({ signal: signal ?? new AbortController().signal, progress: () => {} });

/** An EngineHost with the worker's recovery, wrapped as the app's engine port. */
export function inPageEngine(opts: { decoderPath?: 'auto' | DecoderPath } = {}): InPageEngine {
  const recoveries: RecoveryReport[] = [];
  const listeners = new Set<(c: BackendChange) => void>();
  const host = new EngineHost(() => createWebBackend(), {
    recovery: webDeviceRecovery, decoderPath: opts.decoderPath ?? 'ort',
    onRecovered: (r) => {
      recoveries.push(r);
      for (const cb of listeners) cb({ status: {} as BackendStatus, model: r.model, error: r.error });
    },
  });
  const api = {
    probe: () => Promise.reject(new Error('not used in these tests')),
    loadModel: (source, o = {}) => host.loadModel(source, ctx(o.signal)),
    compress: (image, o = {}) => host.compress(image, ctx(o.signal)),
    chat: (req, o = {}) => host.chat(req, ctx(o.signal)),
    caption: (req, o = {}) => host.caption(req, ctx(o.signal)),
    embedText: (text) => host.embedText(text),
    setGallery: (m) => host.setGallery(m),
    search: (q, k) => host.search(q, k),
    attentionMap: (image, o = {}) => host.attentionMap(image, { perToken: o.perToken }, ctx(o.signal)),
    onBackendChange: (cb) => { listeners.add(cb); return () => listeners.delete(cb); },
  } as Partial<EngineApi> as EngineApi;
  return { host, app: engineForApp(api), recoveries };
}

/** Destroys ORT's current GPU device (device.lost fires with reason 'destroyed'); returns it. */
export async function loseDevice(): Promise<GPUDevice> {
  const device = await getOrtDevice();
  device.destroy();
  return device;
}

/** Polls until `check` is truthy. */
export async function until<T>(check: () => T | Promise<T>, what: string, timeoutMs = 60_000): Promise<NonNullable<T>> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
