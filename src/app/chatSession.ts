// Chat about the open photo: answers come from the photo's stored summary tokens (Fwd2Bot pass 2), stream
// into the chat store as they are decoded, can be stopped, and are saved with the question (a stopped
// answer is saved as far as it got). A caption is one question (the model's caption question) without history.

import { chatActions, chatStore } from '../state/chat';
import { libraryStore } from '../state/library';
import { readyModel } from '../state/model';
import { appendTurns, createChat, getTokens, listChats } from '../storage';
import type { ChatTurn } from '../storage/records';
import { NoModelError, NotIndexedError } from './errors';
import { isAbort, reasonOf } from './report';
import { requireEngine, requireLibrary } from './services';

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

/** Asks `question` about the open photo; resolves with the full answer (or as far as it got when stopped). */
export async function ask(question: string, opts: { caption?: boolean } = {}): Promise<string | null> {
  const q = question.trim();
  const { photoId, chatId, turns, k, maxTokens } = chatStore.getState();
  if (!q || !photoId) return null;
  stopAnswer();
  const ctrl = new AbortController();
  current = ctrl;
  const caption = opts.caption ?? false;
  chatActions.streaming(q, '', caption);
  let text = '';
  try {
    const model = readyModel();
    if (!model) throw new NoModelError('Answers need the model, which has not loaded yet.');
    const lib = requireLibrary();
    const stored = await getTokens(lib, photoId, model.modelId);
    if (!stored) throw new NotIndexedError(libraryStore.getState().photos.get(photoId)?.status ?? 'unknown');
    const useK = k !== null && k <= stored.K ? k : stored.K;
    const history: ChatTurn[] = caption ? [] : turns;
    const stream = requireEngine().chat(
      { tokens: { modelId: stored.modelId, K: stored.K, d: stored.d, data: stored.data }, k: useK, history, question: q, ...(caption ? { caption: true } : { session, ...(maxTokens !== null ? { maxTokens } : {}) }) },
      { signal: ctrl.signal },
    );
    for await (const piece of stream) {
      if (ctrl.signal.aborted) break;
      text += piece;
      if (chatStore.getState().photoId === photoId) chatActions.streaming(q, text, caption);
    }
  } catch (e) {
    if (!isAbort(e) && !ctrl.signal.aborted) {
      if (current === ctrl) current = null;
      if (chatStore.getState().photoId === photoId) chatActions.failed(reasonOf(e));
      return null;
    }
  }
  if (current === ctrl) current = null;
  const now = Date.now();
  try {
    const lib = requireLibrary();
    const id = chatId ?? (await createChat(lib, photoId, now)).id;
    const saved = await appendTurns(lib, id, [{ role: 'user', text: q, at: now }, { role: 'assistant', text: text.trim(), at: Date.now() }]);
    if (chatStore.getState().photoId === photoId) chatActions.answered(saved.id, saved.turns);
  } catch (e) {
    if (chatStore.getState().photoId === photoId) chatActions.failed(`The answer was not saved: ${reasonOf(e)}`);
  }
  return text.trim();
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
