// The held-out metrics of python/fwd2bot/evaluate.py, for the TypeScript evaluator (cli/evaluate.ts). Pure.
//
//   VQA          exact match of the greedy answer text, per question type (evaluate.eval_generation)
//   captions     object-F1 over facts read back with evaluate.py's OBJ_RE / SIGN_RE (their sources travel
//                in testset.json, so both sides compile the same patterns), plus exact fact-set matches
//   retrieval    R@k = share of queries whose correct candidate ranks < k, where the rank counts candidates
//                scoring strictly higher (evaluate.recall_at)
//   hard negs    share of (scene, negative) pairs where the true caption outscores the negative

/** One fact: [size, color, shape, where] or ['sign', char, where]. */
export type Fact = readonly string[];

export interface FactPatterns {
  object: string;
  sign: string;
}

const key = (f: Fact) => f.join('|');

/** evaluate.caption_facts: the facts a caption states (objects, then signs), as keys. */
export function captionFacts(caption: string, patterns: FactPatterns): Set<string> {
  const out = new Set<string>();
  for (const m of caption.matchAll(new RegExp(patterns.object, 'g'))) out.add(key(m.slice(1)));
  for (const m of caption.matchAll(new RegExp(patterns.sign, 'g'))) out.add(key(['sign', ...m.slice(1)]));
  return out;
}

/** Accumulates caption object precision / recall / F1 over scenes (micro-averaged, as evaluate.py). */
export class CaptionScore {
  tp = 0;
  fp = 0;
  fn = 0;
  exact = 0;
  n = 0;

  add(gold: readonly Fact[], caption: string, patterns: FactPatterns): void {
    const g = new Set(gold.map(key));
    const got = captionFacts(caption, patterns);
    let hit = 0;
    for (const f of got) if (g.has(f)) hit++;
    this.tp += hit;
    this.fp += got.size - hit;
    this.fn += g.size - hit;
    this.exact += Number(hit === g.size && got.size === g.size);
    this.n++;
  }

  result(): { caption_object_f1: number; caption_precision: number; caption_recall: number; caption_exact: number } {
    const p = this.tp / Math.max(1, this.tp + this.fp), r = this.tp / Math.max(1, this.tp + this.fn);
    return { caption_object_f1: (2 * p * r) / Math.max(1e-9, p + r), caption_precision: p, caption_recall: r, caption_exact: this.exact / Math.max(1, this.n) };
  }
}

/** Exact-match VQA by question type. */
export class VqaScore {
  private readonly hits = new Map<string, number[]>();

  constructor(types: readonly string[]) {
    for (const t of types) this.hits.set(t, []);
  }

  add(type: string, predicted: string, answer: string): boolean {
    const ok = predicted === answer;
    if (!this.hits.has(type)) this.hits.set(type, []);
    this.hits.get(type)!.push(Number(ok));
    return ok;
  }

  result(): { vqa: number; vqa_by_type: Record<string, number | null>; n_questions: number } {
    let n = 0, s = 0;
    const byType: Record<string, number | null> = {};
    for (const [t, v] of this.hits) {
      const sum = v.reduce((a, b) => a + b, 0);
      byType[t] = v.length ? sum / v.length : null;
      n += v.length;
      s += sum;
    }
    return { vqa: s / Math.max(1, n), vqa_by_type: byType, n_questions: n };
  }
}

/** Rank of the correct candidate in a best-first hit list (its index), or `Infinity` when it is not listed. */
export function rankIn(hits: readonly { photoId: string }[], correct: string): number {
  const i = hits.findIndex((h) => h.photoId === correct);
  return i < 0 ? Infinity : i;
}

/** { 'R@k': share of ranks < k } for each k. */
export function recallAt(ranks: readonly number[], ks: readonly number[] = [1, 5, 10]): Record<string, number> {
  return Object.fromEntries(ks.map((k) => [`R@${k}`, ranks.filter((r) => r < k).length / Math.max(1, ranks.length)]));
}

/** Dot product of two (d,) vectors in float64. */
export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
