// Attention maps for the UI heatmap (paper Fig. 4): how much each image patch (key positions
// [keyStart, keyStart + keyCount), the V vision tokens) contributed to the summary tokens (query rows
// [rowStart, rowStart + rowCount) of this pass-1 call, the K summary positions).
// Preprocessed like attention.wgsl (`//#if F16` = fp16 storage of q and the cache).
//
// accumulate: one thread per (summary row r, vision key c); workgroup_id = (key tile, r). It recomputes
//   the score of every query head with the same fp32 arithmetic as attention.wgsl and turns it into a
//   probability with that layer's lse (written by the attention kernel), so no (S, Hq, T) probability
//   tensor is ever stored:   accum[r, c] += weight * sum_h exp(score_h(r, c) - lse[r, h]).
//   Called once per layer; the caller zeroes accum first. weight = 1 / (Hq * layers) gives the mean.
// reduceRows: heat[c] = reduceScale * sum_{r in [reduceRowStart, reduceRowEnd)} accum[r, c]
//   (mean over summary tokens, or one token's row).
// Masking matches attention.wgsl exactly, so hidden or invisible keys contribute 0.

struct Params {
  S: u32,
  Hq: u32,
  Hkv: u32,
  hd: u32,
  pastLen: u32,
  blockStart: u32,
  blockEnd: u32,
  useKeyMask: u32,
  rowStart: u32,      // first query row (of this call's S) in the map
  rowCount: u32,
  keyStart: u32,      // first key position (absolute) in the map
  keyCount: u32,
  weight: f32,
  scale: f32,
  reduceRowStart: u32,
  reduceRowEnd: u32,
  reduceScale: f32,
}

const NEG: f32 = -1.0e30;

@group(0) @binding(0) var<uniform> P: Params;
//#if F16
@group(0) @binding(1) var<storage, read> q: array<u32>;        // (S, Hq, hd) f16 pairs
@group(0) @binding(2) var<storage, read> kCache: array<u32>;   // (capacity, Hkv, hd) f16 pairs
//#else
@group(0) @binding(1) var<storage, read> q: array<f32>;        // (S, Hq, hd) f32
@group(0) @binding(2) var<storage, read> kCache: array<f32>;   // (capacity, Hkv, hd) f32
//#endif
@group(0) @binding(3) var<storage, read> keyMask: array<u32>;  // (ceil(capacity / 32)) bits
@group(0) @binding(4) var<storage, read> lse: array<f32>;      // (S, Hq) from attention.wgsl
@group(0) @binding(5) var<storage, read_write> accum: array<f32>;  // (rowCount, keyCount) f32
@group(0) @binding(6) var<storage, read_write> heat: array<f32>;   // (keyCount) f32

//#if F16
// Same operation order as attention.wgsl: q pre-scaled in fp32, then a sequential dot over d.
fn score(qBase: u32, kBase: u32) -> f32 {
  var s = 0.0;
  for (var pr = 0u; pr < P.hd / 2u; pr++) {
    let q2 = unpack2x16float(q[(qBase >> 1u) + pr]) * P.scale;
    let k2 = unpack2x16float(kCache[(kBase >> 1u) + pr]);
    s += q2.x * k2.x + q2.y * k2.y;
  }
  return s;
}
//#else
fn score(qBase: u32, kBase: u32) -> f32 {
  var s = 0.0;
  for (var d = 0u; d < P.hd; d++) { s += (q[qBase + d] * P.scale) * kCache[kBase + d]; }
  return s;
}
//#endif

@compute @workgroup_size(64)
fn accumulate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let c = gid.x;
  let r = wid.y;
  if (c >= P.keyCount) { return; }
  let i = P.rowStart + r;
  let j = P.keyStart + c;
  let pos = P.pastLen + i;
  var kEnd = pos + 1u;
  if (pos >= P.blockStart && pos < P.blockEnd) { kEnd = max(kEnd, P.blockEnd); }
  kEnd = min(kEnd, P.pastLen + P.S);
  var hidden = j >= kEnd;
  if (P.useKeyMask != 0u && ((keyMask[j >> 5u] >> (j & 31u)) & 1u) == 1u) { hidden = true; }
  var sum = 0.0;
  if (!hidden) {
    let group = P.Hq / P.Hkv;
    for (var h = 0u; h < P.Hq; h++) {
      let l = lse[i * P.Hq + h];
      if (l > 0.5 * NEG) {
        let s = score((i * P.Hq + h) * P.hd, (j * P.Hkv + h / group) * P.hd);
        sum += exp(min(s - l, 0.0));
      }
    }
  }
  accum[r * P.keyCount + c] += P.weight * sum;
}

@compute @workgroup_size(64)
fn reduceRows(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= P.keyCount) { return; }
  var s = 0.0;
  for (var r = P.reduceRowStart; r < P.reduceRowEnd; r++) { s += accum[r * P.keyCount + c]; }
  heat[c] = P.reduceScale * s;
}
