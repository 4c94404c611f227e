// GPU device loss and tab lifecycle faults (issue #10): ORT's WebGPU device destroyed while the engine works
// (src/gpu/ort.ts recoverFromDeviceLoss, src/engine/host.ts rebuild), and the tab or the whole browser closed
// mid-indexing or mid-answer with the same persistent profile (job leases and Web Locks in
// src/storage/indexing.ts, answers saved as they stream in src/app/chatSession.ts).
import type { Fault } from './registry';

const E2E_GPU = 'test/e2e/gpuLost.e2e.test.ts';
const ENGINE = 'test/browser/engine/deviceLost.browser.test.ts';
const NO_GPU = 'test/browser/engine/deviceLostWasm.browser.test.ts';
const TABS = 'test/e2e/tabLifecycle.e2e.test.ts';
const ENGINE_DOWN = 'test/browser/app/engineDown.browser.test.ts';
const ANSWERS = 'test/browser/app/answerSaving.browser.test.ts';

export const faults: Fault[] = [
  {
    id: 'gpu-device-lost-mid-queue',
    area: 'GPU',
    fault: 'The GPU device is lost (destroyed) while a dozen photos index, in the production build',
    outcome: 'The engine re-creates its sessions on a new WebGPU device and retries the photo in flight; the queue finishes with every photo indexed (all its tokens stored, no job left, none failed), the backend line says "The GPU device was lost (destroyed); the engine restarted on a new device.", and a question asked afterwards is answered',
    test: { file: E2E_GPU, name: 'while photos index: the queue finishes, every photo whole, and the backend says the device was lost' },
  },
  {
    id: 'gpu-device-lost-photo-in-flight',
    area: 'GPU',
    fault: 'The GPU device is lost while the indexing runner has a photo in flight (real runner and IndexedDB library)',
    outcome: 'No photo is half-indexed or failed: each ends indexed once, with K tokens and its embedding equal to what the engine computes for that file on the new device; one rebuild, the old device never used again, the model store still says webgpu',
    test: { file: ENGINE, name: 'while photos index: every photo ends fully indexed once, on a new device, and the model says so' },
  },
  {
    id: 'gpu-device-lost-kernel-kv-caches',
    area: 'GPU',
    fault: 'The GPU device is lost while the kernel decoder (WGSL attention) holds a chat\'s KV caches',
    outcome: 'The KV caches and attention factory of the dead device throw DeviceLostError instead of being reused; the next turn prefills the history on the new device (the cache is not reused) and gives the same answer as before the loss; the decoder path stays the measured one',
    test: { file: ENGINE, name: 'kernel decoder: its KV caches are rebuilt on the new device, never reused after the loss' },
  },
  {
    id: 'gpu-device-lost-mid-answer',
    area: 'GPU',
    fault: 'The GPU device is lost while an answer streams, after its first tokens',
    outcome: 'The answer ends with DeviceLostError: "... so the answer was cut short. The engine runs again on <backend>: ask again."; asking again is answered',
    test: { file: ENGINE, name: 'an answer cut after tokens streamed ends with DeviceLostError; the third loss moves the engine to wasm, which answers' },
  },
  {
    id: 'gpu-device-lost-repeatedly',
    area: 'GPU',
    fault: 'The GPU device is lost a third time in one session',
    outcome: 'The engine stops trusting the GPU: it runs on wasm for the rest of the session and says why ("... it was lost 3 times, so the CPU is used for the rest of this session; the CPU (wasm) computes now, more slowly.")',
    test: { file: ENGINE, name: 'an answer cut after tokens streamed ends with DeviceLostError; the third loss moves the engine to wasm, which answers' },
  },
  {
    id: 'gpu-device-lost-no-replacement',
    area: 'GPU',
    fault: 'The GPU device is lost and no new device can be had (the adapter request fails)',
    outcome: 'The engine falls back to wasm and the backend says why ("... a new GPU device could not be started: <reason>; the CPU (wasm) computes now, more slowly."); the photo in flight is indexed there with the tokens the GPU gave (within fp16 rounding); new sessions go to wasm with the reason',
    test: { file: NO_GPU, name: 'no new GPU device: the engine falls back to wasm, says why, and the photo in flight is indexed there' },
  },
  {
    id: 'engine-down-while-indexing',
    area: 'GPU',
    fault: 'Indexing a photo fails because of the engine, not the photo (GPU device lost even after the rebuild)',
    outcome: 'The photo goes back to the queue (pending, not failed; the reason kept on its job) and is indexed once the engine works again; a broken engine never fails a whole queue',
    test: { file: ENGINE_DOWN, name: 'an engine failure puts the photo back in the queue, not failed; it is indexed when the engine works again' },
  },
  {
    id: 'engine-stays-down-while-indexing',
    area: 'GPU',
    fault: 'The engine stays down (the model cannot start again after a GPU loss) while a photo waits to be indexed',
    outcome: 'The photo waits in the queue (pending) between tries, then after 3 tries is marked failed with the engine\'s reason ("Indexing stopped 3 times before finishing (the last time: <reason>). Retry, ..."), no job left',
    test: { file: ENGINE_DOWN, name: 'an engine that stays down: the photo waits in the queue, then fails after the last try with the engine\'s reason' },
  },
  {
    id: 'answer-saved-while-streaming',
    area: 'Tab lifecycle',
    fault: 'The tab could close at any moment while an answer streams (IndexedDB read mid-answer)',
    outcome: 'The question is already stored, with the answer so far marked interrupted (saved at most 250 ms behind); when the answer ends it is stored whole and unmarked, in the same chat',
    test: { file: ANSWERS, name: 'while an answer streams, IndexedDB already holds the question and the answer so far, marked interrupted' },
  },
  {
    id: 'engine-fails-mid-answer',
    area: 'GPU',
    fault: 'The engine fails while an answer streams (e.g. DeviceLostError after the first words)',
    outcome: 'The chat keeps the question and the partial answer marked interrupted, the error is shown with what to do, and the next question goes on in the same chat',
    test: { file: ANSWERS, name: 'an engine failure mid-answer keeps the question and the partial answer, marked interrupted, and shows the error' },
  },
  {
    id: 'tab-closed-mid-indexing',
    area: 'Tab lifecycle',
    fault: 'The tab is closed while photos index; a new tab opens the app (same profile)',
    outcome: 'The closed tab\'s Web Lock is gone, so the new tab takes its job over at once and finishes the queue: every photo indexed once (one tokens record each, no job left, none failed), those indexed before the close keep their indexedAt',
    test: { file: TABS, name: 'the tab closed mid-indexing: a new tab resumes the queue and indexes every photo once' },
  },
  {
    id: 'browser-closed-mid-indexing',
    area: 'Tab lifecycle',
    fault: 'The whole browser is closed while photos index and started again on the same profile',
    outcome: 'The queue, kept in IndexedDB, resumes at the next start and finishes: every photo indexed once, none failed, no job left, earlier ones untouched',
    test: { file: TABS, name: 'the browser closed mid-indexing: on the next start the queue resumes and indexes every photo once' },
  },
  {
    id: 'browser-closed-mid-answer',
    area: 'Tab lifecycle',
    fault: 'The browser is closed while an answer streams, and started again on the same profile',
    outcome: 'The chat keeps the question and the answer as far as it was saved (saved every 250 ms while it streams), marked interrupted and shown with "(Interrupted: this answer did not finish. Ask again for a whole answer.)"; asking again gives the whole answer, which starts with the saved part',
    test: { file: TABS, name: 'the browser closed mid-answer: the question is kept, the answer so far is marked interrupted' },
  },
];
