// Engine measurements shared by the browser bench (engine.bench.browser.ts: WebGPU and wasm) and the Node
// bench (engine.bench.node.ts: onnxruntime-node). Comparisons are measured side by side in one run: the
// variants of each comparison alternate within every repetition, and medians are reported.
//
//   ttft       time to first token chatting from stored tokens (Fwd2Bot: <s> + K' tokens + question) vs the
//              base model reading all V vision tokens (vision encoder + <s> + V + question), and vs the same
//              prefill with the vision tokens already computed (isolates the (V+Q)/(K+Q) part)
//   decode     tokens/s of greedy decoding with the KV cache
//   indexing   photos/s: decode + preprocess + vision encoder + pass 1
//   search     latency of one text query over N stored embeddings (embedText + top-k), N = 1k, 10k, 100k

import { ChatSession } from '../src/engine/core/chat';
import { visionTokens } from '../src/engine/core/compress';
import type { Engine } from '../src/engine/core/engine';
import { Gallery, type TopKFn } from '../src/engine/core/search';
import { f32ArrayToF16 } from '../src/shared/fp16';

export const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
const now = () => performance.now();

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
}

/** Samples memory after each phase; `read` returns bytes (JS heap in the browser, RSS in Node). */
export class MemoryProbe {
  readonly phases: Record<string, number> = {};
  peak = 0;
  constructor(private readonly read: () => number | null) {}
  sample(phase: string): void {
    const v = this.read();
    if (v === null) return;
    this.phases[phase] = round(v / 2 ** 20, 1);
    this.peak = Math.max(this.peak, v);
  }
  result(): { unit: 'MiB'; peak: number; phases: Record<string, number> } | null {
    return this.peak ? { unit: 'MiB', peak: round(this.peak / 2 ** 20, 1), phases: this.phases } : null;
  }
}

async function firstToken(chat: ChatSession, question: string): Promise<number> {
  const t0 = now();
  const it = chat.ask(question, { maxTokens: 1 });
  await it.next();
  const t = now() - t0;
  await it.return(undefined as never);
  return t;
}

export async function measureTtft(engine: Engine, pixels: Float32Array, question: string, reps: number) {
  const m = engine.model;
  const c = await engine.compressPixels(pixels);
  const stored = { modelId: c.modelId, K: c.K, d: c.d, data: c.tokens };
  const hv = await visionTokens(m, pixels); // (V, d)
  const fwd: number[] = [], base: number[] = [], basePrefill: number[] = [], kSmall: number[] = [];
  const kMin = engine.info.tokenCounts[0];
  for (let r = 0; r < reps + 1; r++) { // repetition 0 warms every path up and is not counted
    const a = engine.openChat(stored);
    const ta = await firstToken(a, question);
    a.dispose();
    const t0 = now();
    const hvFresh = await visionTokens(m, pixels);
    const b = ChatSession.fromBlock(m, hvFresh);
    const tb = (now() - t0) + await firstToken(b, question);
    b.dispose();
    const p = ChatSession.fromBlock(m, hv);
    const tp = await firstToken(p, question);
    p.dispose();
    const s = engine.openChat(stored, { kPrime: kMin });
    const ts = await firstToken(s, question);
    s.dispose();
    if (r > 0) { fwd.push(ta); base.push(tb); basePrefill.push(tp); kSmall.push(ts); }
  }
  const V = m.manifest.architecture.vision.numVisionTokens, K = m.K, Q = m.template.turnIds(question).length;
  const f = median(fwd), b = median(base), p = median(basePrefill);
  return {
    question, reps, V, K, Q,
    fwd2botMs: round(f), fwd2botSmallestKMs: round(median(kSmall)), smallestK: kMin,
    minMs: { fwd2bot: round(Math.min(...fwd)), baseWithEncoder: round(Math.min(...base)), basePrefillOnly: round(Math.min(...basePrefill)) },
    baseWithEncoderMs: round(b), basePrefillOnlyMs: round(p),
    ratioWithEncoder: round(b / f), ratioPrefillOnly: round(p / f),
    expectedPrefillRatio: round((1 + V + Q) / (1 + K + Q)),
    note: 'base = the same decoder reading all V vision tokens (generation adapter bound: LoRA factors are inputs, so cost is the same as no adapter)',
  };
}

export async function measureDecode(engine: Engine, pixels: Float32Array, reps: number, maxTokens = 32) {
  const c = await engine.compressPixels(pixels);
  const rates: number[] = [], ttfts: number[] = [];
  let generated = 0;
  for (let r = 0; r < reps + 1; r++) {
    const chat = engine.openChat({ modelId: c.modelId, K: c.K, d: c.d, data: c.tokens });
    const a = await chat.answer(engine.model.template.captionQuestion, { maxTokens });
    chat.dispose();
    if (r === 0) continue;
    generated = a.stats.generatedTokens;
    if (a.stats.generatedTokens > 1) rates.push((a.stats.generatedTokens - 1) / (a.stats.decodeMs / 1000));
    ttfts.push(a.stats.ttftMs);
  }
  return { reps, maxTokens, generatedTokens: generated, tokensPerSecond: round(median(rates)), ttftMs: round(median(ttfts)) };
}

/** `indexOne(i)` does everything indexing does for photo i (decode, preprocess, compress). */
export async function measureIndexing(photos: number, indexOne: (i: number) => Promise<unknown>) {
  await indexOne(0); // warm-up
  const t0 = now();
  for (let i = 0; i < photos; i++) await indexOne(i);
  const s = (now() - t0) / 1000;
  return { photos, seconds: round(s, 3), photosPerSecond: round(photos / s) };
}

/** Random unit vectors (N, d) as fp16. */
export function randomGallery(N: number, d: number, seed = 1): Uint16Array {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
  const rows = new Float32Array(N * d);
  for (let i = 0; i < N; i++) {
    let n = 0;
    for (let j = 0; j < d; j++) { const v = rand(); rows[i * d + j] = v; n += v * v; }
    n = 1 / Math.sqrt(n);
    for (let j = 0; j < d; j++) rows[i * d + j] *= n;
  }
  return f32ArrayToF16(rows);
}

export interface SearchVariant {
  name: string;
  /** Builds the top-k function for a gallery (null: not available here). */
  make(gallery: Uint16Array, N: number, d: number): Promise<{ topK: TopKFn; release(): void } | null>;
}

/** Search latency over N stored embeddings of the model's d: the query embedding and each top-k variant. */
export async function measureSearch(engine: Engine, sizes: number[], reps: number, variants: SearchVariant[]) {
  const d = engine.info.d;
  const query = 'a large red circle';
  const embedMs: number[] = [];
  let q = await engine.embedText(query);
  for (let r = 0; r < reps; r++) { const t0 = now(); q = await engine.embedText(query); embedMs.push(now() - t0); }
  const out: Record<string, unknown>[] = [];
  for (const N of sizes) {
    const data = randomGallery(N, d, N);
    const g = new Gallery({ modelId: engine.info.modelId, d, photoIds: Array.from({ length: N }, (_, i) => String(i)), data });
    const row: Record<string, unknown> = { N, d, k: 10 };
    const built: { name: string; topK: TopKFn; release(): void }[] = [{ name: 'jsScan', topK: async (x, k) => g.topK(x, k), release: () => undefined }];
    for (const v of variants) { const b = await v.make(data, N, d); if (b) built.push({ name: v.name, ...b }); }
    const times: Record<string, number[]> = {};
    let reference: Int32Array | null = null;
    const runs = N <= 10_000 ? 4 * reps : reps; // small galleries: more runs, so GC pauses fall out of the median
    for (let r = 0; r < runs + 1; r++) {
      for (const b of built) {
        const t0 = now();
        const res = await b.topK(q, 10);
        const t = now() - t0;
        if (r > 0) (times[b.name] ??= []).push(t);
        if (b.name === 'jsScan') reference = res.indices;
        else if (reference && r === runs) row[`${b.name}SameTop10`] = [...res.indices].join() === [...reference].join();
      }
    }
    for (const b of built) { row[`${b.name}Ms`] = round(median(times[b.name])); b.release(); }
    row.totalWithQueryMs = round(median(embedMs) + Math.min(...built.map((b) => median(times[b.name]))));
    out.push(row);
  }
  return { query, embedTextMs: round(median(embedMs)), sizes: out };
}
