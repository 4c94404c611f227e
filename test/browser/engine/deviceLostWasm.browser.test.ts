// GPU device lost on a machine where no new GPU device can be had (the replacement request fails, as it does
// when the GPU process keeps crashing or the adapter is gone): the engine falls back to wasm, says why, and
// the pass 1 in flight during the loss finishes there with the tokens the GPU gave (its own ORT instance:
// this file's page has never lost a device before).
import { afterAll, expect, test } from 'vitest';
import type { HostContext } from '../../../src/engine/host';
import { createSession, deviceRecoveryTestHooks, getOrtDevice, selectBackend } from '../../../src/gpu/ort';
import { selfTestModelBytes } from '../../../src/gpu/selfTestModel';
import { f16ArrayToF32 } from '../../../src/shared/fp16';
import { inPageEngine, loseDevice, type InPageEngine } from './deviceLossHelpers';

const BASE = '/test/fixtures/tiny-package/';
const ctx = (): HostContext => ({ signal: new AbortController().signal, progress: () => {} });
let eng: InPageEngine | null = null;
afterAll(async () => {
  deviceRecoveryTestHooks.requestDevice = null;
  await eng?.host.dispose();
});

test('no new GPU device: the engine falls back to wasm, says why, and the photo in flight is indexed there', async () => {
  if ((await selectBackend()).backend !== 'webgpu') throw new Error('WebGPU is not usable in this browser (run Chromium with --enable-unsafe-webgpu)');
  eng = inPageEngine({ decoderPath: 'ort' });
  const { host } = eng;
  await host.loadModel({ kind: 'url', url: BASE }, ctx());
  expect(host.model?.device).toBe('webgpu');
  const blob = await (await fetch(`${BASE}samples/sample_02.png`)).blob();
  const onGpu = await host.compress(blob, ctx());
  deviceRecoveryTestHooks.requestDevice = () => Promise.reject(new Error('requestAdapter() returned no adapter (test)'));
  // The photo is in flight (its image decodes, then pass 1 runs) when the device goes.
  const inFlight = host.compress(blob, ctx());
  await loseDevice();
  const r = await inFlight;
  expect(host.model).toMatchObject({ device: 'wasm', devices: { vision: 'wasm', embed: 'wasm', decoder: 'wasm' } });
  const a = f16ArrayToF32(onGpu.tokens), b = f16ArrayToF32(r.tokens);
  expect(b).toHaveLength(a.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  expect(worst).toBeLessThan(2e-3); // fp16 storage rounding + wasm vs WebGPU float order
  // Why, in words the backend panel shows; WebGPU is no longer offered, sessions go to wasm with the reason.
  const choice = await selectBackend();
  expect(choice).toMatchObject({ backend: 'wasm', supportsF16: false, deviceLoss: { count: 1, reason: 'destroyed', outcome: 'wasm' } });
  expect(choice.reason).toBe('The GPU device was lost (destroyed: Device was destroyed.) and a new GPU device could not be started: '
    + 'requestAdapter() returned no adapter (test); the CPU (wasm) computes now, more slowly.');
  expect(eng.recoveries).toEqual([expect.objectContaining({ error: null, model: expect.objectContaining({ device: 'wasm' }) })]);
  await expect(getOrtDevice()).rejects.toThrow(/^WebGPU is not in use: The GPU device was lost/);
  const s = await createSession(selfTestModelBytes(), { backend: 'webgpu', name: 'self-test' });
  expect(s.backend).toBe('wasm');
  expect(s.fallbackReason).toMatch(/^WebGPU is not in use: The GPU device was lost/);
  await s.release();
}, 300_000);
