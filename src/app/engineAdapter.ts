// The AppEngine port on top of the worker-backed EngineApi (src/engine/api.ts): the engine's model facts
// as the UI shows them, chat turns as (question, answer) pairs, and the streamed chat events as text pieces.

import type { ChatTurn as EngineChatTurn, EngineApi, ModelInfo as EngineModelInfo } from '../engine/api';
import type { ChatTurn } from '../storage/records';
import type { AppEngine, ChatInput, ModelInfo } from './enginePort';

/** Longest caption, as the engine's own caption() uses (GenerationOptions: "captions 80"). */
export const CAPTION_MAX_TOKENS = 80;

export function toModelInfo(e: EngineModelInfo): ModelInfo {
  return {
    modelId: e.modelId, name: e.name, source: e.source, baseUrl: e.baseUrl, K: e.K, d: e.d,
    // The K' choices of the slider: the nested values and K itself.
    nestedK: [...new Set([...e.tokenCounts, e.K])].sort((a, b) => a - b),
    quantization: { ...e.quantization },
    bytesPerPhoto: e.bytesPerPhoto,
    samples: [...e.samples],
    modelCard: e.modelCard,
    captionQuestion: e.captionQuestion,
    imageSize: e.imageSize,
    patchGrid: e.patchGrid,
    device: e.device,
    capabilities: { attentionMap: e.attentionMaps !== undefined && e.attentionMaps !== 'unavailable' },
  };
}

/** Stored turns (user, assistant, user, …) -> the engine's (question, answer) pairs. */
export function turnPairs(turns: readonly ChatTurn[]): EngineChatTurn[] {
  const out: EngineChatTurn[] = [];
  for (let i = 0; i + 1 < turns.length; i++) {
    if (turns[i].role === 'user' && turns[i + 1].role === 'assistant') {
      out.push({ question: turns[i].text, answer: turns[i + 1].text });
      i++;
    }
  }
  return out;
}

export function engineForApp(engine: EngineApi): AppEngine {
  return {
    probe: () => engine.probe(),

    loadModel: async (source, opts = {}) => toModelInfo(await engine.loadModel(source, opts)),

    async compress(image, opts = {}) {
      const r = await engine.compress(image, opts);
      return { modelId: r.modelId, K: r.K, d: r.d, tokens: r.tokens, embedding: r.embedding };
    },

    async *chat(input: ChatInput, opts = {}) {
      const maxTokens = input.caption ? CAPTION_MAX_TOKENS : input.maxTokens;
      const stream = engine.chat({
        chatId: input.session ?? crypto.randomUUID(),
        tokens: input.tokens, kPrime: input.k,
        history: input.caption ? [] : turnPairs(input.history),
        question: input.question,
        ...(maxTokens !== undefined ? { options: { maxTokens } } : {}),
      }, opts);
      let text = '';
      for await (const ev of stream) {
        if (ev.kind === 'token') {
          text += ev.delta;
          if (ev.delta) yield ev.delta;
        } else if (ev.text.startsWith(text) && ev.text.length > text.length) {
          yield ev.text.slice(text.length); // the final text is authoritative
        }
      }
    },

    embedText: (text, opts = {}) => engine.embedText(text, opts),

    gallery: {
      upload: async (m, opts = {}) => (await engine.setGallery(m, opts)).onGpu,
      async rank(query, k, opts = {}) {
        const r = await engine.rankGallery(query, k, opts);
        const out: { index: number; score: number }[] = [];
        for (let i = 0; i < r.indices.length; i++) if (r.indices[i] >= 0) out.push({ index: r.indices[i], score: r.scores[i] });
        return out;
      },
    },

    async attentionMap(image, opts = {}) {
      const r = await engine.attentionMap(image, opts);
      return { rows: r.grid[0], cols: r.grid[1], values: r.heat };
    },

    onBackendChange: (cb) => engine.onBackendChange((c) => cb({ model: c.model ? toModelInfo(c.model) : null, error: c.error })),
  };
}
