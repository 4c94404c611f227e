// Next-token choice from logits: greedy (temperature 0), or temperature + top-p (nucleus) sampling with a
// seeded RNG, so a seed reproduces an answer on every backend. Pure.

export interface SamplingOptions {
  /** 0 (default) = greedy argmax. */
  temperature?: number;
  /** Nucleus mass in (0, 1]; 1 (default) = no cut. */
  topP?: number;
  /** RNG seed (default 0); the same seed and logits give the same tokens. */
  seed?: number;
}

/** mulberry32: a small, fast, well-mixed 32-bit generator. Returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Index of the largest value; the first one on ties (torch.argmax). NaN never wins. */
export function argmax(x: ArrayLike<number>, offset = 0, n = x.length - offset): number {
  let best = 0;
  let bestV = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = x[offset + i];
    if (v > bestV) { bestV = v; best = i; }
  }
  return best;
}

/**
 * The candidates top-p keeps: ids sorted by probability (ties by lower id) up to and including the first
 * one at which the cumulative probability reaches `topP`, with their renormalised probabilities (float64).
 */
export function nucleus(logits: ArrayLike<number>, temperature: number, topP: number, offset = 0, n = logits.length - offset): { ids: number[]; probs: number[] } {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[offset + i]);
  const p = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    p[i] = Math.exp((logits[offset + i] - max) / temperature);
    sum += p[i];
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => p[b] - p[a] || a - b);
  const ids: number[] = [];
  const probs: number[] = [];
  let cum = 0;
  for (const i of order) {
    ids.push(i);
    probs.push(p[i] / sum);
    cum += p[i] / sum;
    if (cum >= topP) break;
  }
  const kept = probs.reduce((a, b) => a + b, 0);
  return { ids, probs: probs.map((q) => q / kept) };
}

export class Sampler {
  readonly temperature: number;
  readonly topP: number;
  private readonly random: () => number;

  constructor(opts: SamplingOptions = {}) {
    const t = opts.temperature ?? 0;
    const p = opts.topP ?? 1;
    if (!(t >= 0) || !Number.isFinite(t)) throw new RangeError(`temperature must be a finite number >= 0, got ${t}`);
    if (!(p > 0 && p <= 1)) throw new RangeError(`topP must be in (0, 1], got ${p}`);
    this.temperature = t;
    this.topP = p;
    this.random = seededRandom(opts.seed ?? 0);
  }

  get greedy(): boolean {
    return this.temperature === 0;
  }

  /** The next token id from one row of logits (vocab,) at `offset`. */
  next(logits: ArrayLike<number>, offset = 0, n = logits.length - offset): number {
    if (this.greedy) return argmax(logits, offset, n);
    const { ids, probs } = nucleus(logits, this.temperature, this.topP, offset, n);
    const u = this.random();
    let cum = 0;
    for (let i = 0; i < ids.length; i++) {
      cum += probs[i];
      if (u < cum) return ids[i];
    }
    return ids[ids.length - 1];
  }
}
