// The engine core on onnxruntime-node against the PyTorch reference shipped with the tiny fixture package
// (test/fixtures/tiny-package/golden.json): preprocessing, vision tokens, compressed tokens, greedy answers,
// text embeddings and search ranking. Plus what golden.json cannot say: cached == uncached decoding,
// multi-turn reuse of the KV cache, nested K, cancel, sampling with a seed, stale tokens.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { folderSource } from '../../../cli/nodeSource';
import { createNodeBackend } from '../../../cli/ortNode';
import { decodePng } from '../../../cli/png';
import { ChatSession, generateUncached } from '../../../src/engine/core/chat';
import { compressPixels, fixedEmbeddings } from '../../../src/engine/core/compress';
import { concatRows, embedIds, KvCache, runDecoder } from '../../../src/engine/core/decoder';
import { Engine } from '../../../src/engine/core/engine';
import { Gallery } from '../../../src/engine/core/search';
import { ContextFullError, TokenMismatchError } from '../../../src/engine/errors';
import { preprocessImage } from '../../../src/model/image';
import { f32ArrayToF16 } from '../../../src/shared/fp16';
import { maxAbsDiff, runGolden, type Golden, type GoldenRun } from './golden';

const dir = fileURLToPath(new URL('../../fixtures/tiny-package/', import.meta.url));
const golden = JSON.parse(readFileSync(`${dir}golden.json`, 'utf8')) as Golden;
let engine: Engine;
let run: GoldenRun;
const pixelsOf = async (file: string) => {
  const png = decodePng(new Uint8Array(readFileSync(`${dir}${file}`)), file);
  return preprocessImage(png, engine.model.manifest.preprocessing, png.orientation);
};

beforeAll(async () => {
  engine = await Engine.load(createNodeBackend(), folderSource(dir));
  run = await runGolden(engine, golden, pixelsOf);
});
afterAll(() => engine?.release());

describe('golden: Node engine == PyTorch reference', () => {
  test('the package loads on onnxruntime-node with the manifest facts', () => {
    expect(engine.info).toMatchObject({ K: 4, d: 32, tokenCounts: [1, 2, 4], devices: { vision: 'cpu', embed: 'cpu', decoder: 'cpu' }, fallbackReason: null });
  });

  test('preprocessing: pixel values equal PIL + torch (first values exactly, sum to float rounding)', () => {
    for (const [i, g] of golden.images.entries()) {
      expect(run.images[i].pixelsHead, g.file).toEqual(g.pixels_head.map(Math.fround));
      expect(Math.abs(run.images[i].pixelsSum - g.pixels_sum), g.file).toBeLessThan(1e-3);
    }
  });

  test(`vision tokens within ${golden.tolerances.vision_tokens}`, () => {
    for (const [i, g] of golden.images.entries()) {
      expect(maxAbsDiff(run.images[i].visionHead, g.vision_tokens_head), g.file).toBeLessThan(golden.tolerances.vision_tokens);
      expect(Math.abs(run.images[i].visionSum - g.vision_tokens_sum), g.file).toBeLessThan(golden.tolerances.vision_tokens * 16);
    }
  });

  test(`compressed tokens (K, d) within ${golden.tolerances.compressed}, embeddings within ${golden.tolerances.embedding}`, () => {
    for (const [i, g] of golden.images.entries()) {
      expect(maxAbsDiff(run.images[i].compressed, g.compressed.flat()), g.file).toBeLessThan(golden.tolerances.compressed);
      expect(maxAbsDiff(run.images[i].embedding, g.embedding), g.file).toBeLessThan(golden.tolerances.embedding);
    }
  });

  test('greedy answers: identical token ids for every (image, K\', question), prompts tokenised identically', () => {
    let n = 0;
    for (const [i, g] of golden.images.entries()) {
      for (const [j, a] of g.answers.entries()) {
        const got = run.images[i].answers[j];
        expect(got.index).toBe(j);
        expect(got.promptIds, `${g.file} ${a.question}`).toEqual(a.prompt_ids);
        expect(got.ids, `${g.file} K'=${a.k} ${a.question}`).toEqual(a.ids);
        expect(got.text).toBe(a.text);
        n++;
      }
    }
    expect(n).toBeGreaterThanOrEqual(20);
  });

  test('search: query ids, text embeddings and the top-10 ranking equal the reference', () => {
    for (const [i, q] of golden.queries.entries()) {
      expect(run.queries[i].ids, q.query).toEqual(q.ids);
      expect(maxAbsDiff(run.queries[i].embedding, q.embedding), q.query).toBeLessThan(golden.tolerances.embedding);
      expect(run.queries[i].ranking, q.query).toEqual(q.ranking);
      expect(maxAbsDiff(run.queries[i].scores, q.scores), q.query).toBeLessThan(2 * golden.tolerances.embedding);
    }
  });

  test('search through Engine.search over the stored fp16 embeddings gives the same ranking', async () => {
    const gallery = new Gallery({
      modelId: engine.info.modelId, d: engine.info.d, photoIds: golden.images.map((g) => g.file),
      data: f32ArrayToF16(Float32Array.from(run.images.flatMap((im) => [...im.embedding]))),
    });
    for (const q of golden.queries) {
      const hits = await engine.search(q.query, 10, gallery);
      expect(hits.map((h) => h.photoId), q.query).toEqual(q.ranking.map((i) => golden.images[i].file));
      expect(maxAbsDiff(hits.map((h) => h.score), q.scores)).toBeLessThan(5e-3);
    }
  });
});

describe('decoding with the KV cache', () => {
  const tokensOf = (i: number) => ({ modelId: engine.info.modelId, K: 4, d: 32, data: run.images[i].compressed });

  test('cached == uncached: same greedy ids, and the last step\'s logits agree to 1e-5', async () => {
    const m = engine.model;
    for (const i of [0, 1]) {
      const q = golden.images[i].answers[1].question;
      const { bos } = await fixedEmbeddings(m);
      const prefix = concatRows([bos, run.images[i].compressed, await embedIds(m, m.template.turnIds(q))]);
      const uncached = await generateUncached(m, prefix, 12);
      const chat = ChatSession.fromTokens(m, run.images[i].compressed, 4);
      const cached = await chat.answer(q, { maxTokens: 12 });
      chat.dispose();
      expect(cached.ids).toEqual(uncached);
      expect(cached.ids).toEqual(golden.images[i].answers[6].question === q ? golden.images[i].answers[6].ids : cached.ids);
      // logits of position T-1 from one step on a cache of T-1 positions vs from the full sequence
      const all = concatRows([prefix, await embedIds(m, uncached.slice(0, 5))]);
      const T = all.length / m.d;
      const empty = KvCache.empty(m);
      const pre = await runDecoder(m, { embeds: all.slice(0, (T - 1) * m.d), cache: empty, pass: 'generate' });
      const step = await runDecoder(m, { embeds: all.slice((T - 1) * m.d), cache: pre.cache!, pass: 'generate', logits: 'last', keepCache: false });
      const full = await runDecoder(m, { embeds: all, cache: KvCache.empty(m), pass: 'generate', logits: 'last', keepCache: false });
      pre.cache!.dispose();
      expect(maxAbsDiff(step.logits!, full.logits!)).toBeLessThan(1e-5);
    }
  });

  test('turn 2 prefills only its own tokens and answers as a full recompute of the conversation does', async () => {
    const q1 = golden.images[0].answers[5].question, q2 = golden.images[0].answers[6].question;
    const chat = engine.openChat(tokensOf(0));
    const a1 = await chat.answer(q1, { maxTokens: 12 });
    const cachedAfter1 = chat.cachedPositions;
    const a2 = await chat.answer(q2, { maxTokens: 12 });
    const turn2 = engine.model.template.turnIds(q2).length;
    // the last answer token was sampled but never fed (max tokens or stop), then </s>: at most 2 extra positions
    expect(a2.stats.cachedTokens).toBe(cachedAfter1);
    expect(a2.stats.prefillTokens).toBe(turn2 + (a1.reason === 'stop' ? 1 : 2));
    expect(chat.turns.map((t) => t.question)).toEqual([q1, q2]);
    chat.dispose();
    // the same conversation rebuilt from its history (everything prefilled at once)
    const again = engine.openChat(tokensOf(0), { history: [{ question: q1, answer: a1.text }] });
    const b2 = await again.answer(q2, { maxTokens: 12 });
    expect(b2.stats.prefillTokens).toBe(1 + 4 + engine.model.template.turnIds(q1).length + a1.ids.length + 1 + turn2);
    expect(b2.ids).toEqual(a2.ids);
    again.dispose();
  });

  test('fp16-stored tokens answer like the fp32 ones on the golden questions (what the library keeps)', async () => {
    for (const [i, g] of golden.images.entries()) {
      const stored = { ...tokensOf(i), data: f32ArrayToF16(run.images[i].compressed) };
      const a = g.answers.find((x) => x.k === 4 && x.question !== engine.model.template.captionQuestion)!;
      const chat = engine.openChat(stored);
      const r = await chat.answer(a.question, { maxTokens: 12 });
      chat.dispose();
      // tiny random weights have tiny logit margins; most (not necessarily all) ids survive fp16 rounding
      const same = r.ids.filter((t, j) => t === a.ids[j]).length;
      expect(same, g.file).toBeGreaterThanOrEqual(Math.ceil(a.ids.length / 2));
    }
  });

  test('nested K: K\' = 2 is allowed and cuts the block; K\' = 3 is refused with the allowed values', async () => {
    const chat = engine.openChat(tokensOf(0), { kPrime: 2 });
    const r = await chat.answer('how many objects are there ?', { maxTokens: 3 });
    expect(r.stats.prefillTokens).toBe(1 + 2 + engine.model.template.turnIds('how many objects are there ?').length);
    chat.dispose();
    expect(() => engine.openChat(tokensOf(0), { kPrime: 3 })).toThrow(TokenMismatchError);
    expect(() => engine.openChat(tokensOf(0), { kPrime: 3 })).toThrow(/K' in \{1, 2, 4\}/);
  });

  test('tokens of another model are refused as stale', () => {
    expect(() => engine.openChat({ ...tokensOf(0), modelId: 'f2b-0123456789abcdef' })).toThrow(/made by model "f2b-0123456789abcdef"/);
  });

  test('cancel stops after the tokens already streamed; the chat stays usable and consistent', async () => {
    const ctl = new AbortController();
    const chat = engine.openChat(tokensOf(1));
    const got: number[] = [];
    const it = chat.ask('describe the image .', { maxTokens: 40, signal: ctl.signal });
    let res = await it.next();
    while (!res.done) {
      got.push(res.value.id);
      if (got.length === 3) ctl.abort();
      res = await it.next();
    }
    expect(res.value.reason).toBe('cancelled');
    expect(res.value.ids).toEqual(got);
    expect(got).toEqual(golden.images[1].answers[9].ids.slice(0, 3));
    const next = await chat.answer('where is the sign ?', { maxTokens: 6 });
    // rebuilt from the history with the answer's ids (the partial answer holds <s>, which has no text)
    expect(chat.turns[0].answerIds).toEqual(got);
    const rebuilt = engine.openChat(tokensOf(1), { history: chat.turns.slice(0, 1) });
    expect((await rebuilt.answer('where is the sign ?', { maxTokens: 6 })).ids).toEqual(next.ids);
    chat.dispose();
    rebuilt.dispose();
  });

  test('a text-only history (as the library stores chats) is tokenised again', async () => {
    const chat = engine.openChat(tokensOf(0), { history: [{ question: 'where is the sign ?', answer: 'at the top left' }] });
    const t = engine.model.template;
    const r = await chat.answer('how many objects are there ?', { maxTokens: 2 });
    expect(r.stats.prefillTokens).toBe(1 + 4 + t.turnIds('where is the sign ?').length + t.answerIds('at the top left').length + t.turnIds('how many objects are there ?').length);
    expect(chat.turns[0].answerIds).toEqual(t.answerIds('at the top left').slice(0, -1));
    chat.dispose();
  });

  test('breaking out of the stream (consumer stops) keeps the partial answer in the history', async () => {
    const chat = engine.openChat(tokensOf(2));
    let n = 0;
    for await (const t of chat.ask('describe the image .', { maxTokens: 40 })) {
      expect(t.id).toBeGreaterThanOrEqual(0);
      if (++n === 2) break;
    }
    expect(chat.turns).toHaveLength(1);
    expect((await chat.answer('where is the sign ?', { maxTokens: 2 })).ids).toHaveLength(2);
    chat.dispose();
  });

  test('sampling: a seed reproduces an answer; temperature 0 equals greedy', async () => {
    const ask = async (o: object) => { const c = engine.openChat(tokensOf(3)); const r = await c.answer('describe the image .', { maxTokens: 10, ...o }); c.dispose(); return r.ids; };
    expect(await ask({ temperature: 1.5, topP: 0.9, seed: 42 })).toEqual(await ask({ temperature: 1.5, topP: 0.9, seed: 42 }));
    expect(await ask({ temperature: 0, topP: 0.5, seed: 3 })).toEqual(golden.images[3].answers[9].ids.slice(0, 10));
  });

  test('max tokens ends with reason "length"; the context limit ends with ContextFullError or "context"', async () => {
    const r = await engine.caption({ ...tokensOf(0) }, { maxTokens: 5 });
    expect(r.reason).toBe('length');
    expect(r.ids).toEqual(golden.images[0].answers[9].ids.slice(0, 5));
    const long = engine.openChat(tokensOf(0));
    const big = await long.answer('describe the image .', { maxTokens: 1000 });
    expect(['context', 'stop']).toContain(big.reason);
    if (big.reason === 'context') {
      expect(long.cachedPositions).toBe(engine.info.maxPositions - 1);
      await expect(long.answer('where is the sign ?')).rejects.toBeInstanceOf(ContextFullError);
    }
    long.dispose();
  });

  test('compress through Engine.compressImage stores fp16 tokens and a unit embedding', async () => {
    const png = decodePng(new Uint8Array(readFileSync(`${dir}${golden.images[0].file}`)));
    const c = await engine.compressImage(png, png.orientation);
    expect(c.tokens).toBeInstanceOf(Uint16Array);
    expect(c.tokens.length).toBe(4 * 32);
    expect(Math.hypot(...c.embedding)).toBeCloseTo(1, 5);
    const direct = await compressPixels(engine.model, await pixelsOf(golden.images[0].file));
    expect(maxAbsDiff(c.tokensF32, direct.tokens)).toBe(0);
  });
});
