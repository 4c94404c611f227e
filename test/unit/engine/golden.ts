// Shared by the Node and browser golden tests: runs the engine over the PyTorch reference set of a model
// package (golden.json, written by python/fwd2bot/export.py) and returns what it computed, side by side
// with the reference. The test files assert; this file only computes.

import { compressPixels, embedText } from '../../../src/engine/core/compress';
import type { Engine } from '../../../src/engine/core/engine';

export interface GoldenAnswer { k: number; question: string; prompt_ids: number[]; ids: number[]; text: string }
export interface GoldenImage {
  file: string;
  pixels_sum: number;
  pixels_head: number[];
  vision_tokens_sum: number;
  vision_tokens_head: number[];
  compressed: number[][]; // (K, d)
  embedding: number[]; // (d,)
  answers: GoldenAnswer[];
  /** The sample scene's own questions with the true answers and PyTorch's greedy answer (K tokens, 4 new tokens). */
  truth?: GoldenTruth[];
}
export interface GoldenTruth { type: string; question: string; answer: string; prompt_ids: number[]; ids: number[]; pytorch: string }
export interface GoldenQuery { query: string; ids: number[]; embedding: number[]; ranking: number[]; scores: number[] }
export interface Golden {
  images: GoldenImage[];
  queries: GoldenQuery[];
  tolerances: { vision_tokens: number; compressed: number; embedding: number };
}

export interface ImageRun {
  file: string;
  pixelsSum: number;
  pixelsHead: number[];
  visionSum: number;
  visionHead: number[];
  compressed: Float32Array; // (K, d)
  embedding: Float32Array; // (d,)
  /** In golden order; `index` is the answer's index in golden.images[i].answers, `maxTokens` what was run. */
  answers: { index: number; k: number; question: string; promptIds: number[]; ids: number[]; text: string; maxTokens: number }[];
  /** Answers to golden.images[i].truth, in order (all K tokens, TRUTH_MAX new tokens); [] when not asked. */
  truth: { ids: number[]; text: string }[];
}

export interface GoldenOptions {
  /** Which answers to run (default all); returns the token budget, or false to skip (slow backends). */
  pick?: (a: GoldenAnswer, image: number, index: number) => number | false;
  /** Also answer each image's truth questions (the first `truth` of them; default none). */
  truth?: number;
}
export interface GoldenRun {
  images: ImageRun[];
  queries: { query: string; ids: number[]; embedding: Float32Array; ranking: number[]; scores: number[] }[];
}

const CAPTION_MAX = 80;
const ANSWER_MAX = 12;
/** New tokens of the truth answers (the exporter's max_new). */
export const TRUTH_MAX = 4;

/** The reference ids an answer run with `maxTokens` must reproduce (greedy decoding: a prefix). */
export function expectedIds(g: GoldenAnswer, maxTokens: number): number[] {
  return g.ids.slice(0, maxTokens);
}

export const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/** Runs everything golden.json checks. `pixelsOf(file)` decodes + preprocesses one sample photo. */
export async function runGolden(engine: Engine, golden: Golden, pixelsOf: (file: string) => Promise<Float32Array>, opts: GoldenOptions = {}): Promise<GoldenRun> {
  const model = engine.model;
  const images: ImageRun[] = [];
  for (const g of golden.images) {
    const px = await pixelsOf(g.file);
    const c = await compressPixels(model, px, { keepVisionTokens: true });
    const hv = c.visionTokens!;
    const run: ImageRun = {
      file: g.file,
      pixelsSum: px.reduce((s, v) => s + v, 0),
      pixelsHead: [...px.slice(0, g.pixels_head.length)],
      visionSum: hv.reduce((s, v) => s + v, 0),
      visionHead: [...hv.slice(0, g.vision_tokens_head.length)],
      compressed: c.tokens,
      embedding: c.embedding,
      answers: [],
      truth: [],
    };
    // The reference decodes from fp32 tokens; chatting from the fp16-stored tokens is checked by the tests.
    const fp32 = { modelId: engine.info.modelId, K: model.K, d: model.d, data: c.tokens };
    for (const [index, a] of g.answers.entries()) {
      const full = a.question === model.template.captionQuestion ? CAPTION_MAX : ANSWER_MAX;
      const picked = opts.pick ? opts.pick(a, images.length, index) : full;
      if (picked === false) continue;
      const maxTokens = Math.min(picked, full);
      const chat = engine.openChat(fp32, { kPrime: a.k });
      try {
        const r = await chat.answer(a.question, { maxTokens });
        run.answers.push({ index, k: a.k, question: a.question, promptIds: model.template.turnIds(a.question), ids: r.ids, text: r.text, maxTokens });
      } finally {
        chat.dispose();
      }
    }
    for (const t of (g.truth ?? []).slice(0, opts.truth ?? 0)) {
      const chat = engine.openChat(fp32, { kPrime: model.K });
      try {
        const r = await chat.answer(t.question, { maxTokens: TRUTH_MAX });
        run.truth.push({ ids: r.ids, text: r.text });
      } finally {
        chat.dispose();
      }
    }
    images.push(run);
  }
  const queries: GoldenRun['queries'] = [];
  for (const q of golden.queries) {
    const e = await embedText(model, q.query);
    // Rank with fp32 embeddings, as the reference does (E @ e_t); the stored fp16 gallery is checked by the tests.
    const scores = images.map((im) => im.embedding.reduce((s, v, j) => s + v * e[j], 0));
    const ranking = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b).slice(0, 10);
    queries.push({ query: q.query, ids: model.template.queryIds(q.query), embedding: e, ranking, scores: ranking.map((i) => scores[i]) });
  }
  return { images, queries };
}
