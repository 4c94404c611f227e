// Fwd2Bot pass 2 (generation adapter): chat about a photo from its stored summary tokens.
//
//   sequence = <s> [image block: H^c[:K'] (K', d)] turn(q1) a1 </s> turn(q2) a2 </s> ...
//
// A ChatSession keeps the KV cache of everything it has read, so turn 2 prefills only its own tokens
// (plus the end of answer 1 that was never fed: the last sampled token and </s>). Positions not yet in the
// cache wait in `pendingPrefix` (the image block, before the first turn) and `pendingIds`.

import { ContextFullError, TokenMismatchError } from '../errors';
import { allowedTokenCounts } from '../../model/manifest';
import { fixedEmbeddings } from './compress';
import { concatRows, embedIds, KvCache, runDecoder } from './decoder';
import type { LoadedModel } from './model';
import { Sampler, type SamplingOptions } from './sampling';

export interface GenerateOptions extends SamplingOptions {
  /** Most tokens to generate, the stop token included (default 64). */
  maxTokens?: number;
  signal?: AbortSignal;
}

/** 'stop': a stop token; 'length': maxTokens; 'context': maxPositions reached; 'cancelled': the signal fired. */
export type StopReason = 'stop' | 'length' | 'context' | 'cancelled';

export interface ChatTurn {
  question: string;
  answer: string;
  /** The answer's token ids as generated. When absent the text is tokenised again, which loses special
   *  tokens the model may have produced (they do not decode to text). */
  answerIds?: number[];
}

export interface StreamedToken {
  id: number;
  /** Text this token adds to the answer (may be empty for special tokens). */
  delta: string;
}

export interface AnswerStats {
  /** Positions this turn prefilled (the whole prefix on turn 1; only the new turn later). */
  prefillTokens: number;
  /** Positions already in the KV cache before this turn. */
  cachedTokens: number;
  generatedTokens: number;
  /** Milliseconds from ask() to the first token, and spent after it decoding. */
  ttftMs: number;
  decodeMs: number;
}

export interface ChatAnswer {
  ids: number[];
  text: string;
  reason: StopReason;
  stats: AnswerStats;
}

const now = () => globalThis.performance?.now() ?? Date.now();

export class ChatSession {
  private cache: KvCache | null = null;
  private pendingPrefix: Float32Array | null; // (1 + n, d) [<s>; image block] until the first prefill
  private block: Float32Array | null;
  private pendingIds: number[] = [];
  private busy = false;
  private closed = false;
  readonly turns: ChatTurn[] = [];

  private constructor(private readonly model: LoadedModel, block: Float32Array) {
    this.block = block;
    this.pendingPrefix = null;
  }

  /**
   * A chat over stored summary tokens (K, d) fp32, cut to their first `kPrime` (default K) when the model
   * was trained for it (manifest fwd2bot.nestedK). Throws TokenMismatchError otherwise.
   */
  static fromTokens(model: LoadedModel, tokens: Float32Array, K: number, kPrime = K): ChatSession {
    if (tokens.length !== K * model.d) throw new TokenMismatchError(`The stored tokens are (${K}, ${tokens.length / K}); this model needs d = ${model.d}.`);
    if (K !== model.K) throw new TokenMismatchError(`The stored tokens hold K = ${K} summary tokens; this model makes K = ${model.K}.`);
    const allowed = allowedTokenCounts(model.manifest);
    if (!allowed.includes(kPrime)) {
      throw new TokenMismatchError(`This model answers from K' in {${allowed.join(', ')}} summary tokens, not ${kPrime}.`,
        { hint: `Choose one of ${allowed.join(', ')} tokens.`, data: { kPrime, allowed } });
    }
    return new ChatSession(model, tokens.slice(0, kPrime * model.d));
  }

  /** A chat over any image block (n, d) — e.g. all V vision tokens, the uncompressed baseline. */
  static fromBlock(model: LoadedModel, block: Float32Array): ChatSession {
    return new ChatSession(model, block.slice());
  }

  /** Positions in the KV cache (0 before the first answer). */
  get cachedPositions(): number {
    return this.cache?.length ?? 0;
  }

  /** Where the KV cache lives: 'gpu-buffer' on WebGPU, 'cpu' otherwise. */
  get cacheLocation(): string {
    return this.cache?.location ?? 'none';
  }

  /** Adds earlier turns (question and answer text) without generating; they are prefilled with the next ask(). */
  restore(history: readonly ChatTurn[]): void {
    this.assertUsable();
    const t = this.model.template;
    for (const h of history) {
      const answer = h.answerIds ? [...h.answerIds, t.eos] : t.answerIds(h.answer);
      this.pendingIds.push(...t.turnIds(h.question), ...answer);
      this.turns.push({ question: h.question, answer: h.answer, answerIds: answer.slice(0, -1) });
    }
  }

  /** Asks one question; yields tokens as they are decoded and returns the whole answer. */
  async *ask(question: string, opts: GenerateOptions = {}): AsyncGenerator<StreamedToken, ChatAnswer> {
    this.assertUsable();
    if (this.busy) throw new Error('This chat is still answering the previous question.');
    this.busy = true;
    const { model } = this;
    const { template } = model;
    const sampler = new Sampler(opts);
    const maxTokens = opts.maxTokens ?? 64;
    const maxPositions = model.manifest.architecture.decoder.maxPositions;
    const t0 = now();
    const ids: number[] = [];
    let reason: StopReason = 'length';
    let unfed: number | null = null; // sampled, yielded, not yet in the cache
    let prefilled = false;
    let ttftMs = 0;
    let prefillTokens = 0;
    const cachedTokens = this.cachedPositions;
    let text = '';
    try {
      opts.signal?.throwIfAborted();
      if (this.block) {
        this.pendingPrefix = concatRows([(await fixedEmbeddings(model)).bos, this.block]);
        this.block = null;
      }
      const newIds = [...this.pendingIds, ...template.turnIds(question)];
      const embeds = concatRows([...(this.pendingPrefix ? [this.pendingPrefix] : []), await embedIds(model, newIds)]); // (T, d)
      prefillTokens = embeds.length / model.d;
      const before = this.cache ?? KvCache.empty(model);
      if (before.length + prefillTokens >= maxPositions) {
        throw new ContextFullError(`This chat holds ${before.length} positions; the next question needs ${prefillTokens} more and at least one to answer, the model reads ${maxPositions}.`);
      }
      const first = await runDecoder(model, { embeds, cache: before, pass: 'generate', logits: 'last' });
      before.dispose();
      this.cache = first.cache!;
      this.pendingPrefix = null;
      this.pendingIds = [];
      prefilled = true;
      let logits = first.logits!; // (vocab,)
      for (let i = 0; i < maxTokens; i++) {
        if (opts.signal?.aborted) { reason = 'cancelled'; break; }
        const tok = sampler.next(logits);
        if (template.stop.has(tok)) { reason = 'stop'; break; }
        ids.push(tok);
        unfed = tok;
        if (i === 0) ttftMs = now() - t0;
        const next = template.decode(ids);
        const delta = next.slice(text.length);
        text = next;
        yield { id: tok, delta };
        if (i === maxTokens - 1) { reason = 'length'; break; }
        if (this.cache.length + 1 >= maxPositions) { reason = 'context'; break; }
        if (opts.signal?.aborted) { reason = 'cancelled'; break; }
        const step = await runDecoder(model, { embeds: await embedIds(model, [tok]), cache: this.cache, pass: 'generate', logits: 'last' });
        this.cache.dispose();
        this.cache = step.cache!;
        unfed = null;
        logits = step.logits!;
      }
    } finally {
      if (prefilled) {
        // The answer as it stays in the history: its tokens, then </s>. Tokens not in the cache yet wait.
        this.pendingIds = [...(unfed !== null ? [unfed] : []), template.eos];
        this.turns.push({ question, answer: template.decode(ids), answerIds: ids.slice() });
      }
      this.busy = false;
    }
    if (ids.length === 0) ttftMs = now() - t0;
    return {
      ids, text: template.decode(ids), reason,
      stats: { prefillTokens, cachedTokens, generatedTokens: ids.length, ttftMs, decodeMs: now() - t0 - ttftMs },
    };
  }

  /** Runs ask() to the end; returns the answer. */
  async answer(question: string, opts: GenerateOptions = {}): Promise<ChatAnswer> {
    const it = this.ask(question, opts);
    for (;;) {
      const r = await it.next();
      if (r.done) return r.value;
    }
  }

  /** Frees the KV cache (GPU buffers on WebGPU). The session cannot be used afterwards. */
  dispose(): void {
    this.closed = true;
    this.cache?.dispose();
    this.cache = null;
  }

  private assertUsable(): void {
    if (this.closed) throw new Error('This chat session was disposed.');
  }
}

/**
 * Reference decoding without a KV cache: every step runs the whole sequence from position 0. Slow; used by
 * tests (cached == uncached) and benchmarks. `prefix` is (T0, d) input embeddings; greedy.
 */
export async function generateUncached(model: LoadedModel, prefix: Float32Array, maxTokens: number): Promise<number[]> {
  const ids: number[] = [];
  let embeds = prefix;
  for (let i = 0; i < maxTokens; i++) {
    const cache = KvCache.empty(model);
    let r;
    try {
      r = await runDecoder(model, { embeds, cache, pass: 'generate', logits: 'last', keepCache: false });
    } finally {
      cache.dispose();
    }
    const tok = new Sampler().next(r.logits!);
    if (model.template.stop.has(tok)) break;
    ids.push(tok);
    embeds = concatRows([embeds, await embedIds(model, [tok])]);
  }
  return ids;
}
