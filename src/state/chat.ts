// The chat of the open photo: its stored turns, the answer streaming now, and K' (how many summary tokens
// the answer reads). Written by src/app/chatSession.ts.

import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import type { ChatTurn } from '../storage/records';

export interface ChatState {
  photoId: string | null;
  chatId: string | null;
  turns: ChatTurn[];
  /** The question being answered and the answer so far. */
  streaming: { question: string; text: string; caption: boolean } | null;
  /** Summary tokens the next answer reads (null = all K). */
  k: number | null;
  /** Longest answer, in tokens (null = the engine's default). */
  maxTokens: number | null;
  error: string | null;
}

export const initialChatState: ChatState = { photoId: null, chatId: null, turns: [], streaming: null, k: null, maxTokens: null, error: null };

export const chatStore = createStore<ChatState>()(() => initialChatState);

export const chatActions = {
  opened(photoId: string, chatId: string | null, turns: ChatTurn[]): void {
    chatStore.setState({ photoId, chatId, turns, streaming: null, error: null });
  },
  streaming(question: string, text: string, caption: boolean): void {
    chatStore.setState({ streaming: { question, text, caption }, error: null });
  },
  /** The chat record the answer streaming now is saved in (created with its question). */
  chatCreated(chatId: string): void {
    chatStore.setState({ chatId });
  },
  answered(chatId: string, turns: ChatTurn[]): void {
    chatStore.setState({ chatId, turns, streaming: null });
  },
  failed(message: string): void {
    chatStore.setState({ streaming: null, error: message });
  },
  setK(k: number | null): void {
    chatStore.setState({ k });
  },
  setMaxTokens(maxTokens: number | null): void {
    chatStore.setState({ maxTokens });
  },
  reset(): void {
    chatStore.setState(initialChatState, true);
  },
};

export function useChat<T>(selector: (s: ChatState) => T): T {
  return useStore(chatStore, selector);
}
