// EngineClient (main thread) -> real engine worker (src/engine/worker.ts) -> real probe + ORT, and the
// store it updates. Also: a worker that dies while starting fails the call with WorkerCrashedError.
import { afterAll, beforeEach, describe, expect, test } from 'vitest';
import { EngineClient } from '../../src/engine/client';
import { WorkerCrashedError } from '../../src/engine/errors';
import { probeWebGpu } from '../../src/gpu/probe';
import { actions, appStore, type BackendState } from '../../src/state/store';

const started: EngineClient[] = [];
afterAll(() => { for (const e of started) e.terminate(); });
beforeEach(() => actions.reset());

describe('EngineClient.probe over the engine worker', () => {
  test('reports the backend measured in the worker and mirrors probing -> ready into the store', async () => {
    const seen: BackendState['kind'][] = [];
    const phases: string[] = [];
    const unsubscribe = appStore.subscribe((s) => {
      seen.push(s.backend.kind);
      if (s.backend.kind === 'probing' && s.backend.progress) phases.push(s.backend.progress.phase);
    });
    const engine = EngineClient.start();
    started.push(engine);
    const status = await engine.probe();
    unsubscribe();

    expect(seen[0]).toBe('probing');
    expect(seen.at(-1)).toBe('ready');
    expect(phases).toContain('backend');
    const state = appStore.getState().backend;
    expect(state.kind === 'ready' && state.status).toEqual(status);

    // The worker's probe sees the same adapter as this window's probe.
    const here = await probeWebGpu();
    expect(here.usable).toBe(true);
    expect(status.backend).toBe('webgpu');
    if (status.backend !== 'webgpu' || !here.usable) return;
    expect(status.adapter).toEqual(here.adapter);
    expect(status.isFallbackAdapter).toBe(here.isFallbackAdapter);
    expect(status.supportsF16).toBe(status.deviceFeatures.shaderF16);
    expect(status.compute).toBe(status.supportsF16 ? 'fp16' : 'fp32');
    // ORT's device never exceeds what the adapter offers.
    for (const [k, v] of Object.entries(status.deviceLimits)) {
      expect(v, k).toBeGreaterThan(0);
      expect(v, k).toBeLessThanOrEqual(here.limits[k as keyof typeof here.limits]);
    }
    expect(status.ortVersion).toMatch(/^1\.\d+/);
    expect(status.startupMs).toBeGreaterThan(0);
  });
});

describe('an engine worker that fails to start', () => {
  test('probe() rejects with WorkerCrashedError and the store shows the error with a hint', async () => {
    const bad = new Worker(new URL('./fixtures/crashingWorker.ts', import.meta.url), { type: 'module' });
    const engine = new EngineClient(bad);
    started.push(engine);
    const err = await engine.probe().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerCrashedError);
    expect((err as WorkerCrashedError).message).toMatch(/engine worker stopped/);
    const { backend, errors } = appStore.getState();
    expect(backend.kind).toBe('failed');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ name: 'WorkerCrashedError', source: 'engine' });
    expect(errors[0].hint).toMatch(/Reload the page/);
  });
});
