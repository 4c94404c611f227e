// When the engine itself fails while indexing (the GPU device was lost and even the retry on the rebuilt engine
// failed, or the model could not start again), the photo is not to blame: its job goes back to the queue
// (photo 'pending', the reason kept on the job) instead of being marked failed, so a broken engine never fails
// a whole queue; the photo is indexed once the engine works again, and an engine that stays down fails it
// after MAX_JOB_ATTEMPTS tries with the engine's reason. Real library and runner, the UI tests' fake engine.
import { afterEach, expect, test } from 'vitest';
import type { CallOptions } from '../../../src/app/enginePort';
import { importFiles } from '../../../src/app/importFiles';
import { services } from '../../../src/app/services';
import { DeviceLostError } from '../../../src/engine/errors';
import { libraryStore } from '../../../src/state/library';
import { queueStore } from '../../../src/state/queue';
import { getTokens, listJobs } from '../../../src/storage';
import { MAX_JOB_ATTEMPTS } from '../../../src/storage/indexing';
import { colourPng, setup, waitFor, type Harness } from '../../../src/ui/testing/harness';

let h: Harness | null = null;
afterEach(async () => { await h?.cleanup(); h = null; });

const photo = () => [...libraryStore.getState().photos.values()][0];

/** Makes the fake engine's compress throw `error` for its next `n` calls (Infinity: always). */
function engineDown(harness: Harness, n: number, error: () => Error): { calls: () => number } {
  const real = harness.engine.compress.bind(harness.engine);
  let left = n, calls = 0;
  harness.engine.compress = async (image: Blob, o?: CallOptions) => {
    calls++;
    if (left-- > 0) throw error();
    return real(image, o);
  };
  return { calls: () => calls };
}

test('an engine failure puts the photo back in the queue, not failed; it is indexed when the engine works again', async () => {
  h = await setup();
  const down = engineDown(h, 1, () => new DeviceLostError('The GPU device was lost (unknown: GPU reset) while running vision.onnx.'));
  await importFiles([await colourPng('#0a0', 'green.png')]);
  await waitFor(() => photo()?.status === 'indexed', 20_000);
  expect(down.calls()).toBe(2);
  expect(photo().failReason).toBeUndefined();
  expect(queueStore.getState()).toMatchObject({ done: 1, failed: 0 });
  expect(await listJobs(services.lib!)).toEqual([]);
  expect(await getTokens(services.lib!, photo().id, h.engine.info.modelId)).toMatchObject({ K: 2, d: 4 });
});

test('an engine that stays down: the photo waits in the queue, then fails after the last try with the engine\'s reason', async () => {
  h = await setup();
  const why = 'The GPU device was lost and the model could not be started again: the network is off.';
  const down = engineDown(h, Infinity, () => new DeviceLostError(why, { hint: 'Reload the page to start the model again.' }));
  await importFiles([await colourPng('#a00', 'red.png')]);
  // Between tries it is pending, never failed.
  await waitFor(() => down.calls() >= 1 && photo()?.status === 'pending', 20_000);
  expect(photo().failReason).toBeUndefined();
  const job = (await listJobs(services.lib!))[0];
  expect(job).toMatchObject({ state: 'pending', lastError: `${why} Reload the page to start the model again.` });
  await waitFor(() => photo()?.status === 'failed', 20_000);
  expect(down.calls()).toBe(MAX_JOB_ATTEMPTS);
  expect(photo().failReason).toBe(`Indexing stopped ${MAX_JOB_ATTEMPTS} times before finishing (the last time: ${why} Reload the page to start the model again). `
    + 'Retry, or remove the photo if it keeps failing.');
  expect(await listJobs(services.lib!)).toEqual([]);
});
