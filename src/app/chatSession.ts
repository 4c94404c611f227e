// Chat about the open photo: answers come from the photo's stored summary tokens (Fwd2Bot pass 2), stream
// into the chat store as they are decoded, can be stopped, and are saved with the question (a stopped
// answer is saved as far as it got). A caption is one question (the model's caption question) without history.
//
// Saving: the question is stored before the answer starts, with an empty answer marked `interrupted`; the
// answer is saved as it streams (at most every SAVE_EVERY_MS) and stored whole, unmarked, when it ends or is
// stopped. So a tab closed or crashed mid-answer leaves the question and the answer so far, marked as
// interrupted (the chat shows it so), never a lost question; an engine failure mid-answer leaves the same.

import { chatActions, chatStore } from '../state/chat';
import { libraryStore } from '../state/library';
import { readyModel } from '../state/model';
import { appendTurns, createChat, getTokens, listChats, replaceAnswer } from '../storage';
import type { Library } from '../storage/library';
import type { ChatTurn } from '../storage/records';
import { NoModelError, NotIndexedError } from './errors';
import { isAbort, reasonOf } from './report';
import { requireEngine, requireLibrary } from './services';

/** Longest time between two saves of an answer as it streams (what a closed tab can lose of it). */
export const SAVE_EVERY_MS = 250;

let current: AbortController | null = null;
/** The engine keeps the KV cache of a conversation under this key while its history matches. */
let session = crypto.randomUUID();

/** Shows the photo's latest chat (or none yet). */
export async function openChat(photoId: string): Promise<void> {
  stopAnswer();
  session = crypto.randomUUID();
  chatActions.opened(photoId, null, []);
  const chats = await listChats(requireLibrary(), photoId);
  if (chatStore.getState().photoId !== photoId) return;
  const latest = chats.reduce<(typeof chats)[number] | null>((a, c) => (!a || c.updatedAt >= a.updatedAt ? c : a), null);
  chatActions.opened(photoId, latest?.id ?? null, latest?.turns ?? []);
}

/** Starts a fresh chat about the open photo (the old one stays stored). */
export function newChat(): void {
  const { photoId } = chatStore.getState();
  stopAnswer();
  session = crypto.randomUUID();
  if (photoId) chatActions.opened(photoId, null, []);
}

export function stopAnswer(): void {
  current?.abort();
  current = null;
}

/**
 * Saves the answer to `chatId` as it streams: each save replaces the turn written at `at`, marked interrupted,
 * at most every SAVE_EVERY_MS, one write at a time (the latest text wins). `finish` writes the last one.
 */
function answerSaver(lib: Library, chatId: string, at: number) {
  let latest: string | null = null;
  let writing: Promise<void> = Promise.resolve();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const write = () => {
    timer = null;
    if (latest === null) return;
    const text = latest;
    latest = null;
    writing = writing.then(() => replaceAnswer(lib, chatId, at, { role: 'assistant', text: text.trim(), at, interrupted: true }).then(() => undefined));
    writing = writing.catch(() => undefined); // a failed save is reported by finish()
  };
  return {
    progress(text: string): void {
      latest = text;
      timer ??= setTimeout(write, SAVE_EVERY_MS);
    },
    /** Stops the progress saves and stores `turn` in place of the answer; returns the chat. */
    async finish(turn: ChatTurn) {
      if (timer) clearTimeout(timer);
      timer = null;
      latest = null;
      await writing;
      return replaceAnswer(lib, chatId, at, turn);
    },
  };
}

/** Asks `question` about the open photo; resolves with the full answer (or as far as it got when stopped). */
export async function ask(question: string, opts: { caption?: boolean } = {}): Promise<string | null> {
  const q = question.trim();
  const { photoId, chatId, turns, k, maxTokens } = chatStore.getState();
  if (!q || !photoId) return null;
  stopAnswer();
  const ctrl = new AbortController();
  current = ctrl;
  const caption = opts.caption ?? false;
  const here = () => chatStore.getState().photoId === photoId;
  chatActions.streaming(q, '', caption);
  let text = '';
  let saver: ReturnType<typeof answerSaver> | null = null;
  let saveError: unknown = null;
  let failure: unknown = null;
  try {
    const model = readyModel();
    if (!model) throw new NoModelError('Answers need the model, which has not loaded yet.');
    const lib = requireLibrary();
    const stored = await getTokens(lib, photoId, model.modelId);
    if (!stored) throw new NotIndexedError(libraryStore.getState().photos.get(photoId)?.status ?? 'unknown');
    // The question is kept even if this tab closes mid-answer: saved now, with an empty interrupted answer.
    const at = Date.now();
    try {
      const id = chatId ?? (await createChat(lib, photoId, at)).id;
      if (here() && current === ctrl) chatActions.chatCreated(id);
      await appendTurns(lib, id, [{ role: 'user', text: q, at }, { role: 'assistant', text: '', at, interrupted: true }]);
      saver = answerSaver(lib, id, at);
    } catch (e) {
      saveError = e; // answer anyway; the failure is shown when it ends
    }
    const useK = k !== null && k <= stored.K ? k : stored.K;
    const history: ChatTurn[] = caption ? [] : turns;
    const stream = requireEngine().chat(
      { tokens: { modelId: stored.modelId, K: stored.K, d: stored.d, data: stored.data }, k: useK, history, question: q, ...(caption ? { caption: true } : { session, ...(maxTokens !== null ? { maxTokens } : {}) }) },
      { signal: ctrl.signal },
    );
    for await (const piece of stream) {
      if (ctrl.signal.aborted) break;
      text += piece;
      saver?.progress(text);
      if (here()) chatActions.streaming(q, text, caption);
    }
  } catch (e) {
    if (!isAbort(e) && !ctrl.signal.aborted) failure = e;
  }
  if (current === ctrl) current = null;
  if (failure !== null && !saver) {
    // Nothing was saved (no model, not indexed, storage refused the question): say why.
    if (here()) chatActions.failed(saveError ? `The question was not saved: ${reasonOf(saveError)}` : reasonOf(failure));
    return null;
  }
  try {
    if (saveError) throw saveError;
    // The whole answer (or as far as a Stop let it get); an engine failure leaves it marked interrupted.
    const saved = await saver!.finish({ role: 'assistant', text: text.trim(), at: Date.now(), ...(failure !== null ? { interrupted: true } : {}) });
    if (here()) {
      chatActions.answered(saved.id, saved.turns);
      if (failure !== null) chatActions.failed(reasonOf(failure));
    }
  } catch (e) {
    if (here()) chatActions.failed(failure !== null ? reasonOf(failure) : `The answer was not saved: ${reasonOf(e)}`);
  }
  return failure !== null ? null : text.trim();
}

/** Asks the model's caption question. */
export async function caption(): Promise<string | null> {
  const model = readyModel();
  if (!model) {
    chatActions.failed(reasonOf(new NoModelError()));
    return null;
  }
  return ask(model.captionQuestion, { caption: true });
}
