// The indexing runner on a real IndexedDB library with the fake engine: indexes the queue, records failures
// with the engine's reason, pauses after the current photo, cancels (current aborted, queue marked
// cancelled), and picks the queue up again after a "reload" (library closed mid-photo and reopened).
import { deleteDB } from 'idb';
import { afterEach, describe, expect, test } from 'vitest';
import { libraryStore } from '../state/library';
import { queueStore } from '../state/queue';
import { getTokens } from '../storage';
import { FakeEngine } from '../ui/testing/fakeEngine';
import { colourPng, setup, waitFor, type Harness } from '../ui/testing/harness';
import { importFiles } from './importFiles';
import { CANCELLED_REASON } from './indexingRunner';
import { services } from './services';
import { startApp, stopApp } from './start';

let h: Harness | null = null;
afterEach(async () => { await h?.cleanup(); h = null; });

const statuses = () => [...libraryStore.getState().photos.values()].map((p) => p.status).sort();

describe('IndexingRunner', () => {
  test('indexes every queued photo: tokens stored, status indexed, queue idle', async () => {
    h = await setup();
    await importFiles([await colourPng('#f00', 'red.png'), await colourPng('#0f0', 'green.png'), await colourPng('#00f', 'blue.png')]);
    await waitFor(() => statuses().join() === 'indexed,indexed,indexed');
    await waitFor(() => queueStore.getState().mode === 'idle');
    expect(queueStore.getState().done).toBe(3);
    expect(h.engine.compressCalls).toBe(3);
    const red = [...libraryStore.getState().photos.values()].find((p) => p.name === 'red.png')!;
    const t = await getTokens(services.lib!, red.id, h.engine.info.modelId);
    expect(t).toMatchObject({ K: 2, d: 4, modelId: h.engine.info.modelId });
  });

  test('a photo the engine refuses is marked failed with the reason; the others are indexed', async () => {
    const bad = await colourPng('#888', 'grey.png', 96);
    h = await setup({ failCompress: (b) => (b.size === bad.size ? 'The image could not be decoded.' : null) });
    await importFiles([await colourPng('#f00', 'red.png'), bad]);
    await waitFor(() => statuses().join() === 'failed,indexed');
    const failed = [...libraryStore.getState().photos.values()].find((p) => p.status === 'failed')!;
    expect(failed.name).toBe('grey.png');
    expect(failed.failReason).toBe('The image could not be decoded. Use another file.');
    expect(queueStore.getState()).toMatchObject({ done: 1, failed: 1 });
  });

  test('pause lets the current photo finish, then waits; resume indexes the rest', async () => {
    h = await setup({ compressMs: 150 });
    await importFiles(await Promise.all(['#f00', '#0f0', '#00f', '#ff0'].map((c, i) => colourPng(c, `p${i}.png`))));
    await waitFor(() => queueStore.getState().current !== null);
    services.runner!.pause();
    expect(queueStore.getState().mode).toBe('pausing');
    await waitFor(() => queueStore.getState().mode === 'paused');
    await new Promise((r) => setTimeout(r, 300));
    expect(statuses().filter((s) => s === 'indexed')).toHaveLength(1);
    expect(statuses().filter((s) => s === 'pending')).toHaveLength(3);
    services.runner!.resume();
    await waitFor(() => statuses().every((s) => s === 'indexed'));
  });

  test('cancel aborts the photo being indexed and marks the queue cancelled (Retry-able)', async () => {
    h = await setup({ compressMs: 400 });
    await importFiles(await Promise.all(['#f00', '#0f0', '#00f'].map((c, i) => colourPng(c, `p${i}.png`))));
    await waitFor(() => queueStore.getState().current !== null);
    const n = await services.runner!.cancel();
    expect(n).toBe(2); // the aborted one is failed by the runner itself
    await waitFor(() => statuses().join() === 'failed,failed,failed');
    for (const p of libraryStore.getState().photos.values()) expect(p.failReason).toBe(CANCELLED_REASON);
    expect(queueStore.getState().mode).toBe('idle');
  });

  test('a reload in the middle of a photo: the queue resumes where it was', async () => {
    const name = `ui-test-${crypto.randomUUID()}`;
    const paused = { get: () => false, set: () => {} };
    const engine1 = new FakeEngine({ compressMs: 300 });
    await startApp({ engine: engine1, libraryName: name, model: { kind: 'url', url: '/x/' }, pauseMemory: paused, renewEveryMs: 100 });
    await importFiles(await Promise.all(['#f00', '#0f0', '#00f'].map((c, i) => colourPng(c, `p${i}.png`))));
    await waitFor(() => queueStore.getState().current !== null);
    stopApp(); // the tab goes away while a photo is being indexed
    const engine2 = new FakeEngine();
    await startApp({ engine: engine2, libraryName: name, model: { kind: 'url', url: '/x/' }, pauseMemory: paused });
    await waitFor(() => statuses().length === 3 && statuses().every((s) => s === 'indexed'));
    expect(engine2.compressCalls).toBe(3);
    await services.runner?.settled();
    stopApp();
    await deleteDB(name);
  });
});
