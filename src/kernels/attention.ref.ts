// Plain float64 reference for attention.wgsl: same layouts, same masking rules, written for reading.

export interface AttentionRefInput {
  q: ArrayLike<number>; // (S, Hq, hd)
  k: ArrayLike<number>; // (T, Hkv, hd), T >= pastLen + S: the whole cache after the append
  v: ArrayLike<number>; // (T, Hkv, hd)
  S: number;
  Hq: number;
  Hkv: number;
  hd: number;
  pastLen: number;
  scale?: number;
  bidirectionalBlock?: { start: number; end: number };
  hiddenKeys?: readonly number[];
}

export interface AttentionRefOutput {
  out: Float64Array; // (S, Hq, hd)
  lse: Float64Array; // (S, Hq); -Infinity for a row with no visible key
  /** probs[(i * Hq + h) * T + j], softmax over visible keys, T = pastLen + S. */
  probs: Float64Array;
}

/** Last visible key + 1 for the query at absolute position pos (causal, plus the bidirectional block). */
export function visibleEnd(pos: number, T: number, block?: { start: number; end: number }): number {
  let end = pos + 1;
  if (block && pos >= block.start && pos < block.end) end = Math.max(end, block.end);
  return Math.min(end, T);
}

export function attentionRef(x: AttentionRefInput): AttentionRefOutput {
  const { S, Hq, Hkv, hd, pastLen } = x;
  const T = pastLen + S;
  const scale = x.scale ?? 1 / Math.sqrt(hd);
  const hidden = new Set(x.hiddenKeys ?? []);
  const group = Hq / Hkv;
  const out = new Float64Array(S * Hq * hd);
  const lse = new Float64Array(S * Hq);
  const probs = new Float64Array(S * Hq * T);
  const scores = new Float64Array(T);
  for (let i = 0; i < S; i++) {
    const end = visibleEnd(pastLen + i, T, x.bidirectionalBlock);
    for (let h = 0; h < Hq; h++) {
      const hk = Math.floor(h / group);
      const qo = (i * Hq + h) * hd;
      let m = -Infinity;
      for (let j = 0; j < end; j++) {
        if (hidden.has(j)) { scores[j] = -Infinity; continue; }
        const ko = (j * Hkv + hk) * hd;
        let s = 0;
        for (let d = 0; d < hd; d++) s += x.q[qo + d] * x.k[ko + d];
        scores[j] = s * scale;
        m = Math.max(m, scores[j]);
      }
      let l = 0;
      for (let j = 0; j < end; j++) if (scores[j] !== -Infinity) l += Math.exp(scores[j] - m);
      lse[i * Hq + h] = l > 0 ? m + Math.log(l) : -Infinity;
      if (l === 0) continue; // no visible key: output row stays 0
      const po = (i * Hq + h) * T;
      for (let j = 0; j < end; j++) {
        if (scores[j] === -Infinity) continue;
        const p = Math.exp(scores[j] - m) / l;
        probs[po + j] = p;
        const vo = (j * Hkv + hk) * hd;
        for (let d = 0; d < hd; d++) out[qo + d] += p * x.v[vo + d];
      }
    }
  }
  return { out, lse, probs };
}
