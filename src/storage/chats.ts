// Conversations about a photo: one record per chat, turns appended with a read-modify-write inside one
// transaction, so two tabs appending at once both keep their turns.

import { PhotoNotFoundError } from './errors';
import type { Library } from './library';
import type { ChatRecord, ChatTurn } from './records';
import { photoKeyRange } from './schema';

/** Starts an empty chat about a photo. Throws PhotoNotFoundError if the photo is not in the library. */
export async function createChat(lib: Library, photoId: string, now = Date.now()): Promise<ChatRecord> {
  const chat: ChatRecord = { id: crypto.randomUUID(), photoId, createdAt: now, updatedAt: now, turns: [] };
  await lib.write('start chat', ['photos', 'chats'], async (tx) => {
    if ((await tx.objectStore('photos').getKey(photoId)) === undefined) throw new PhotoNotFoundError(photoId);
    await tx.objectStore('chats').add(chat);
  }, () => ({ kind: 'chats-changed', photoIds: [photoId] }));
  return chat;
}

/** Appends turns to a chat; returns the updated chat. Throws if the chat was deleted. */
export async function appendTurns(lib: Library, chatId: string, turns: ChatTurn[]): Promise<ChatRecord> {
  return lib.write('save chat', ['chats'], async (tx) => {
    const chat = await tx.store.get(chatId);
    if (!chat) throw new Error(`Chat ${chatId} no longer exists (its photo may have been deleted in another tab). Start a new chat.`);
    const next: ChatRecord = {
      ...chat,
      turns: [...chat.turns, ...turns],
      updatedAt: turns.reduce((t, x) => Math.max(t, x.at), chat.updatedAt),
    };
    await tx.store.put(next);
    return next;
  }, (chat) => ({ kind: 'chats-changed', photoIds: [chat.photoId] }));
}

/**
 * Replaces the assistant turn written at `at` (the answer being saved as it streams) with `turn`, in one
 * read-modify-write transaction; appends `turn` when that turn is gone, so an answer is never lost. Returns
 * the updated chat. Throws if the chat was deleted.
 */
export async function replaceAnswer(lib: Library, chatId: string, at: number, turn: ChatTurn): Promise<ChatRecord> {
  return lib.write('save answer', ['chats'], async (tx) => {
    const chat = await tx.store.get(chatId);
    if (!chat) throw new Error(`Chat ${chatId} no longer exists (its photo may have been deleted in another tab). Start a new chat.`);
    const turns = [...chat.turns];
    const i = turns.findLastIndex((t) => t.role === 'assistant' && t.at === at);
    if (i >= 0) turns[i] = turn;
    else turns.push(turn);
    const next: ChatRecord = { ...chat, turns, updatedAt: Math.max(chat.updatedAt, turn.at) };
    await tx.store.put(next);
    return next;
  }, (chat) => ({ kind: 'chats-changed', photoIds: [chat.photoId] }));
}

export async function getChat(lib: Library, chatId: string): Promise<ChatRecord | undefined> {
  return (await lib.connection()).get('chats', chatId);
}

/** The photo's chats, oldest first. */
export async function listChats(lib: Library, photoId: string): Promise<ChatRecord[]> {
  return (await lib.connection()).getAllFromIndex('chats', 'by-photo', photoKeyRange(photoId));
}

export async function deleteChat(lib: Library, chatId: string): Promise<boolean> {
  return lib.write('delete chat', ['chats'], async (tx) => {
    const chat = await tx.store.get(chatId);
    if (!chat) return null;
    await tx.store.delete(chatId);
    return chat.photoId;
  }, (photoId) => (photoId ? { kind: 'chats-changed', photoIds: [photoId] } : null)).then((p) => p !== null);
}
