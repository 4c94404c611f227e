// GPU device lost while the engine works (device.destroy() on ORT's own device, which fires device.lost
// with reason 'destroyed', as a driver reset or GPU-process crash fires it with 'unknown'). The engine host
// runs in the page exactly as the worker runs it (same recovery), behind the app's engine port, so the
// real indexing runner and IndexedDB library are on the other side. In order, in one ORT instance:
//   1. indexing: the device goes while photos index; every photo ends fully indexed, once, on a new device;
//   2. kernel decoder: its KV caches and attention factory refuse the dead device and are rebuilt on the new
//      one (a chat's cache is not reused: the answer is recomputed and equals the one before the loss);
//   3. an answer cut after tokens streamed ends with DeviceLostError; the third loss moves the engine to wasm,
//      which answers again.
import { deleteDB } from 'idb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { importFiles } from '../../../src/app/importFiles';
import { services } from '../../../src/app/services';
import { startApp, stopApp } from '../../../src/app/start';
import type { ChatEvent, ChatRequest, TokensInput } from '../../../src/engine/api';
import { DeviceLostError } from '../../../src/engine/errors';
import { kernelAttentionFactory } from '../../../src/engine/kernelAttention';
import type { AttendArgs } from '../../../src/engine/core/kernelDecoder';
import type { HostContext } from '../../../src/engine/host';
import { getOrtDevice, isDeviceLost, MAX_DEVICE_RECOVERIES, selectBackend } from '../../../src/gpu/ort';
import { libraryStore } from '../../../src/state/library';
import { modelStore } from '../../../src/state/model';
import { queueStore } from '../../../src/state/queue';
import { getEmbedding, getTokens, listJobs } from '../../../src/storage';
import { colourPng } from '../../../src/ui/testing/harness';
import { inPageEngine, loseDevice, until, type InPageEngine } from './deviceLossHelpers';

const BASE = '/test/fixtures/tiny-package/';
const ctx = (): HostContext => ({ signal: new AbortController().signal, progress: () => {} });
let webgpu = false;
const engines: InPageEngine[] = [];

async function collect(it: AsyncIterable<ChatEvent>): Promise<ChatEvent[]> {
  const out: ChatEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}
const done = (evs: ChatEvent[]) => evs.at(-1) as Extract<ChatEvent, { kind: 'done' }>;

beforeAll(async () => {
  webgpu = (await selectBackend()).backend === 'webgpu';
});
afterAll(async () => {
  for (const e of engines) await e.host.dispose();
});

describe('GPU device lost', () => {
  test('while photos index: every photo ends fully indexed once, on a new device, and the model says so', async () => {
    if (!webgpu) throw new Error('WebGPU is not usable in this browser (run Chromium with --enable-unsafe-webgpu)');
    const eng = inPageEngine({ decoderPath: 'ort' });
    engines.push(eng);
    const name = `device-lost-${crypto.randomUUID()}`;
    let paused = false;
    await startApp({
      engine: eng.app, libraryName: name, renewEveryMs: 200, model: { kind: 'url', url: BASE },
      pauseMemory: { get: () => paused, set: (p) => { paused = p; } },
    });
    try {
      await until(() => modelStore.getState().model.kind === 'ready', 'the model');
      const colours = ['#e33', '#3e3', '#33e', '#ee3', '#3ee', '#e3e', '#888', '#fa0'];
      const files = await Promise.all(colours.map((c, i) => colourPng(c, `photo${i}.png`, 64)));
      await importFiles(files);
      const photos = () => [...libraryStore.getState().photos.values()];
      await until(() => photos().some((p) => p.status === 'indexed') && queueStore.getState().current !== null, 'the first indexed photo');
      const lost = await loseDevice();
      const indexedBefore = photos().filter((p) => p.status === 'indexed').length;
      expect(indexedBefore).toBeLessThan(files.length); // the loss came mid-queue

      await until(() => photos().length === files.length && photos().every((p) => p.status === 'indexed') && queueStore.getState().mode === 'idle',
        'every photo indexed', 120_000);
      // One rebuild, on a new WebGPU device; the old one stays dead and is not used again.
      expect(eng.recoveries).toHaveLength(1);
      expect(eng.recoveries[0]).toMatchObject({ error: null, model: { device: 'webgpu' } });
      const now = await getOrtDevice();
      expect(now).not.toBe(lost);
      expect(isDeviceLost(lost)).toBe(true);
      expect((await selectBackend()).deviceLoss).toMatchObject({ count: 1, reason: 'destroyed', outcome: 'new-device' });
      const model = modelStore.getState().model;
      expect(model.kind === 'ready' && model.info.device).toBe('webgpu');
      // Every photo: all K tokens and its embedding, no job left, nothing failed; the stored tokens are exactly
      // what the engine computes for that file now (not a partial or garbage result of the dying device).
      const lib = services.lib!;
      expect(await listJobs(lib)).toEqual([]);
      expect(queueStore.getState().failed).toBe(0);
      for (const p of photos()) {
        expect(p.failReason).toBeUndefined();
        const t = await getTokens(lib, p.id, p.modelId!);
        expect(t).toMatchObject({ K: 4, d: 32 });
        expect(t!.data).toHaveLength(4 * 32);
        expect(await getEmbedding(lib, p.id, p.modelId!)).toHaveLength(32);
        const fresh = await eng.app.compress(files[Number(p.name.match(/\d+/)![0])]);
        expect([...t!.data]).toEqual([...fresh.tokens]);
      }
    } finally {
      await services.runner?.settled();
      stopApp();
      await deleteDB(name);
    }
  }, 300_000);

  test('kernel decoder: its KV caches are rebuilt on the new device, never reused after the loss', async () => {
    if (!webgpu) throw new Error('WebGPU is not usable in this browser');
    const eng = inPageEngine({ decoderPath: 'kernels' });
    engines.push(eng);
    const { host } = eng;
    await host.loadModel({ kind: 'url', url: BASE }, ctx());
    expect(host.model).toMatchObject({ decoderPath: 'kernels', device: 'webgpu' });
    const blob = await (await fetch(`${BASE}samples/sample_00.png`)).blob();
    const c = await host.compress(blob, ctx());
    const tokens: TokensInput = { modelId: c.modelId, K: c.K, d: c.d, data: c.tokens };
    const q1 = 'what color is the object at the top left ?', q2 = 'how many objects are there ?';
    const ask = (chatId: string, question: string, history: ChatRequest['history'] = []) =>
      collect(host.chat({ chatId, tokens, history, question, options: { maxTokens: 8 } }, ctx()));
    // Reference before the loss: a two-turn chat whose second turn reuses the KV cache of the first.
    const a1 = done(await ask('ref', q1));
    const a2 = done(await ask('ref', q2, [{ question: q1, answer: a1.text, answerIds: a1.ids }]));
    expect(a2.reusedCache).toBe(true);
    // The chat under test holds GPU KV caches when the device goes.
    expect(done(await ask('c', q1)).text).toBe(a1.text);
    const shape = { layers: 2, Hq: 4, Hkv: 2, hd: 8 };
    const factory = await kernelAttentionFactory(shape);
    const caches = factory(16);
    const lost = await loseDevice();
    await lost.lost;
    // What lives on the dead device refuses to run instead of appending to caches that are gone.
    expect(() => factory(16)).toThrow(DeviceLostError);
    await expect(caches.attend({ layer: 0 } as AttendArgs)).rejects.toThrow(/KV caches of the kernel decoder was lost/);
    caches.dispose();
    // The second turn of 'c' after the loss: the old cache is not reused, the history is prefilled on the new
    // device, and the answer is the reference one.
    const after = done(await ask('c', q2, [{ question: q1, answer: a1.text, answerIds: a1.ids }]));
    expect(after.reusedCache).toBe(false);
    expect(after.ids).toEqual(a2.ids);
    expect(host.model).toMatchObject({ decoderPath: 'kernels', device: 'webgpu' });
    expect(host.model!.decoderPathReason).toMatch(/kept when the engine restarted after the GPU device was lost/);
    expect(eng.recoveries).toHaveLength(1);
    // A new factory on the new device works.
    const fresh = (await kernelAttentionFactory(shape))(16);
    expect(fresh.length).toBe(0);
    fresh.dispose();
    expect((await selectBackend()).deviceLoss).toMatchObject({ count: 2, outcome: 'new-device' });
  }, 300_000);

  test('an answer cut after tokens streamed ends with DeviceLostError; the third loss moves the engine to wasm, which answers', async () => {
    expect(MAX_DEVICE_RECOVERIES).toBe(3);
    if (!webgpu) throw new Error('WebGPU is not usable in this browser');
    const eng = inPageEngine({ decoderPath: 'ort' });
    engines.push(eng);
    const { host } = eng;
    await host.loadModel({ kind: 'url', url: BASE }, ctx());
    const blob = await (await fetch(`${BASE}samples/sample_01.png`)).blob();
    const c = await host.compress(blob, ctx());
    const tokens: TokensInput = { modelId: c.modelId, K: c.K, d: c.d, data: c.tokens };
    const req: ChatRequest = { chatId: 'x', tokens, history: [], question: 'where is the sign ?', options: { maxTokens: 24 } };
    const streamed: string[] = [];
    let error: unknown = null;
    try {
      for await (const ev of host.chat(req, ctx())) {
        if (ev.kind === 'token') {
          streamed.push(ev.delta);
          if (streamed.length === 1) await loseDevice();
        }
      }
    } catch (e) {
      error = e;
    }
    expect(streamed.length).toBeGreaterThanOrEqual(1);
    expect(error).toBeInstanceOf(DeviceLostError);
    expect((error as Error).message).toMatch(/lost while answering, so the answer was cut short\. The engine runs again on wasm: ask again\./);
    // The third loss: a GPU that keeps resetting is not trusted again; the CPU computes, and says why.
    const choice = await selectBackend();
    expect(choice).toMatchObject({ backend: 'wasm', deviceLoss: { count: MAX_DEVICE_RECOVERIES, outcome: 'wasm' } });
    expect(choice.reason).toMatch(/^The GPU device was lost \(destroyed.*\) and it was lost 3 times, so the CPU is used for the rest of this session; the CPU \(wasm\) computes now/);
    expect(host.model).toMatchObject({ device: 'wasm', devices: { vision: 'wasm', embed: 'wasm', decoder: 'wasm' } });
    expect(eng.recoveries.at(-1)).toMatchObject({ error: null, model: { device: 'wasm' } });
    await expect(getOrtDevice()).rejects.toThrow(/WebGPU is not in use/);
    // Asking again works on wasm.
    const again = done(await collect(host.chat({ ...req, chatId: 'y' }, ctx())));
    expect(again.ids.length).toBeGreaterThan(0);
    expect(again.text.startsWith(streamed.join('').trimEnd().slice(0, 1))).toBe(true);
  }, 300_000);
});
