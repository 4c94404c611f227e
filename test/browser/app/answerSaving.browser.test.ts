// An answer is saved while it streams (src/app/chatSession.ts), so a tab that closes or crashes mid-answer
// leaves the question and the answer so far, marked interrupted, in IndexedDB; an answer that ends (or is
// stopped) is stored whole and unmarked; an engine failure mid-answer leaves the question and the partial
// answer marked interrupted, with the error shown. Real library, the UI tests' fake engine.
import { afterEach, expect, test } from 'vitest';
import { ask, openChat, SAVE_EVERY_MS } from '../../../src/app/chatSession';
import type { AppEngine } from '../../../src/app/enginePort';
import { importFiles } from '../../../src/app/importFiles';
import { services } from '../../../src/app/services';
import { DeviceLostError } from '../../../src/engine/errors';
import { chatStore } from '../../../src/state/chat';
import { libraryStore } from '../../../src/state/library';
import { listChats } from '../../../src/storage';
import { colourPng, setup, waitFor, type Harness } from '../../../src/ui/testing/harness';

let h: Harness | null = null;
afterEach(async () => { await h?.cleanup(); h = null; });

async function indexedPhoto(): Promise<string> {
  await importFiles([await colourPng('#f00', 'red.png')]);
  const p = await waitFor(() => [...libraryStore.getState().photos.values()].find((x) => x.status === 'indexed'));
  await openChat(p.id);
  return p.id;
}

test('while an answer streams, IndexedDB already holds the question and the answer so far, marked interrupted', async () => {
  // 600 ms per word: the answer (6 words) must still be streaming when the store is read below, even on a
  // loaded 2-core CI machine (at 120 ms it had sometimes finished, and was stored whole, before the read).
  h = await setup({ wordMs: 600 });
  const photoId = await indexedPhoto();
  const answering = ask('what colour is it?');
  await waitFor(() => (chatStore.getState().streaming?.text ?? '').trim().split(/\s+/).length >= 2);
  await new Promise((r) => setTimeout(r, SAVE_EVERY_MS + 100));
  // What a tab closed right now would leave behind.
  const mid = (await listChats(services.lib!, photoId))[0].turns;
  expect(mid.map((t) => [t.role, t.interrupted ?? false])).toEqual([['user', false], ['assistant', true]]);
  expect(mid[0].text).toBe('what colour is it?');
  expect(mid[1].text.length).toBeGreaterThan(0);
  const whole = await answering;
  expect(whole).toBe('the photo is red (k=2)');
  expect(whole!.startsWith(mid[1].text)).toBe(true);
  // Finished: stored whole, unmarked; one chat, two turns.
  const chats = await listChats(services.lib!, photoId);
  expect(chats).toHaveLength(1);
  expect(chats[0].turns.map((t) => [t.role, t.text, t.interrupted ?? false])).toEqual([
    ['user', 'what colour is it?', false], ['assistant', 'the photo is red (k=2)', false],
  ]);
  expect(chatStore.getState()).toMatchObject({ chatId: chats[0].id, streaming: null, error: null });
});

test('an engine failure mid-answer keeps the question and the partial answer, marked interrupted, and shows the error', async () => {
  h = await setup();
  const photoId = await indexedPhoto();
  const real = services.engine!;
  const failing: AppEngine = {
    ...real,
    async *chat() {
      yield 'the ';
      yield 'photo ';
      throw new DeviceLostError('The GPU device was lost while answering, so the answer was cut short. The engine runs again on webgpu: ask again.');
    },
  };
  services.engine = failing;
  expect(await ask('what colour is it?')).toBeNull();
  const turns = (await listChats(services.lib!, photoId))[0].turns;
  expect(turns.map((t) => [t.role, t.text, t.interrupted ?? false])).toEqual([['user', 'what colour is it?', false], ['assistant', 'the photo', true]]);
  const s = chatStore.getState();
  expect(s.turns).toEqual(turns);
  expect(s.error).toMatch(/^The GPU device was lost while answering, so the answer was cut short\. The engine runs again on webgpu: ask again\. /);
  // The next question goes on in the same chat, with the interrupted turn as history.
  services.engine = real;
  expect(await ask('and now?')).toBe('the photo is red (k=2)');
  const after = (await listChats(services.lib!, photoId))[0].turns;
  expect(after).toHaveLength(4);
  expect(after[3]).toMatchObject({ role: 'assistant', text: 'the photo is red (k=2)' });
  expect(after[3].interrupted).toBeUndefined();
});
