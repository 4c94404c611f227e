// Attention of S new query rows against a per-layer KV cache (prefill: S > 1, decode: S = 1).
// Preprocessed by src/gpu/pipelines.ts: `//#if F16` selects fp16 storage (raw half bits, two per u32,
// element 2i in the low half; read/written with core unpack2x16float/pack2x16float, so no 'shader-f16'
// is needed), otherwise fp32. Arithmetic and accumulation are fp32 in both variants.
//
// Two entry points, same results (the wrapper picks by S):
// decode (few rows, long key ranges): one workgroup per (query row i, query head h), workgroup_id =
//   (h, i). Keys are visited in tiles of WG = 64; thread t scores key j0 + t, the tile max is reduced in
//   workgroup memory, and the running (max m, sum l, output acc) is rescaled online (flash-attention
//   style), so no score matrix is stored and large logits cannot overflow. Thread t owns output pairs t
//   and t + 64 (head_dim <= 256). Parallel over keys, so S = 1 still fills a workgroup.
// prefill (many rows): one thread per query row, 64 rows of one head per workgroup, workgroup_id =
//   (row block, h). K/V tiles of TK keys are staged in workgroup memory once for all 64 rows; each thread
//   keeps its q row and output accumulator in registers (HD, the exact head dim, is a compile-time
//   constant of the pipeline) and runs the same online softmax key by key. Two barriers per TK keys.
//
// Masking, in absolute positions (query row i sits at position pos = pastLen + i):
//   causal                   key j visible if j <= pos
//   bidirectional block      if blockStart <= pos < blockEnd, also keys up to blockEnd - 1
//                            (pass 1 option, paper Table 12: the prompt+summary block sees itself)
//   key mask (optional)      bit j of keyMask set => key j hidden (e.g. summary tokens, paper Fig. 6)
// A row with no visible key outputs zeros and lse = NEG.
// WGSL lets implementations assume no infinities/NaNs, so "minus infinity" is the finite NEG below and
// masked scores are dropped with explicit flags rather than exp(-inf).

struct Params {
  S: u32,          // query rows in this call
  Hq: u32,         // query heads
  Hkv: u32,        // key/value heads (Hq % Hkv == 0)
  hd: u32,         // head dim (<= 256; even for F16)
  pastLen: u32,    // keys in the cache before this call; visible keys come from [0, pastLen + S)
  blockStart: u32, // bidirectional block [blockStart, blockEnd); blockEnd <= blockStart = off
  blockEnd: u32,
  useKeyMask: u32, // 0: keyMask ignored
  writeLse: u32,   // 0: lse not written
  scale: f32,      // usually 1/sqrt(hd)
}

const WG: u32 = 64u;
const NEG: f32 = -1.0e30;

@group(0) @binding(0) var<uniform> P: Params;
//#if F16
@group(0) @binding(1) var<storage, read> q: array<u32>;            // (S, Hq, hd) f16 pairs
@group(0) @binding(2) var<storage, read> kCache: array<u32>;       // (capacity, Hkv, hd) f16 pairs
@group(0) @binding(3) var<storage, read> vCache: array<u32>;       // (capacity, Hkv, hd) f16 pairs
@group(0) @binding(5) var<storage, read_write> outp: array<u32>;   // (S, Hq, hd) f16 pairs
//#else
@group(0) @binding(1) var<storage, read> q: array<f32>;            // (S, Hq, hd) f32
@group(0) @binding(2) var<storage, read> kCache: array<f32>;       // (capacity, Hkv, hd) f32
@group(0) @binding(3) var<storage, read> vCache: array<f32>;       // (capacity, Hkv, hd) f32
@group(0) @binding(5) var<storage, read_write> outp: array<f32>;   // (S, Hq, hd) f32
//#endif
@group(0) @binding(4) var<storage, read> keyMask: array<u32>;      // (ceil(capacity / 32)) bits
@group(0) @binding(6) var<storage, read_write> lse: array<f32>;    // (S, Hq) f32: m + log(l)

var<workgroup> qs: array<f32, 256>;   // the query row, pre-scaled
var<workgroup> ps: array<f32, 64>;    // this tile's probabilities (unnormalised)
var<workgroup> red: array<f32, 64>;   // max reduction

// Element offsets below are in elements; every row base (x * hd) is even in the F16 variant.
//#if F16
fn loadQ2(base: u32, pr: u32) -> vec2<f32> { return unpack2x16float(q[(base >> 1u) + pr]); }
fn loadV2(base: u32, pr: u32) -> vec2<f32> { return unpack2x16float(vCache[(base >> 1u) + pr]); }
fn storeO2(base: u32, pr: u32, v: vec2<f32>) { outp[(base >> 1u) + pr] = pack2x16float(v); }
fn dotQK(kBase: u32) -> f32 {
  var s = 0.0;
  let w0 = kBase >> 1u;
  for (var pr = 0u; pr < P.hd / 2u; pr++) {
    let k2 = unpack2x16float(kCache[w0 + pr]);
    s += qs[2u * pr] * k2.x + qs[2u * pr + 1u] * k2.y;
  }
  return s;
}
//#else
fn loadQ2(base: u32, pr: u32) -> vec2<f32> {
  let d = 2u * pr;
  var r = vec2<f32>(q[base + d], 0.0);
  if (d + 1u < P.hd) { r.y = q[base + d + 1u]; }
  return r;
}
fn loadV2(base: u32, pr: u32) -> vec2<f32> {
  let d = 2u * pr;
  var r = vec2<f32>(vCache[base + d], 0.0);
  if (d + 1u < P.hd) { r.y = vCache[base + d + 1u]; }
  return r;
}
fn storeO2(base: u32, pr: u32, v: vec2<f32>) {
  let d = 2u * pr;
  outp[base + d] = v.x;
  if (d + 1u < P.hd) { outp[base + d + 1u] = v.y; }
}
fn dotQK(kBase: u32) -> f32 {
  var s = 0.0;
  for (var d = 0u; d < P.hd; d++) { s += qs[d] * kCache[kBase + d]; }
  return s;
}
//#endif

fn keyHidden(j: u32) -> bool {
  return P.useKeyMask != 0u && ((keyMask[j >> 5u] >> (j & 31u)) & 1u) == 1u;
}

// One past the last key query row i may see (non-decreasing in i).
fn rowEnd(i: u32) -> u32 {
  let pos = P.pastLen + i;
  var kEnd = pos + 1u;
  if (pos >= P.blockStart && pos < P.blockEnd) { kEnd = max(kEnd, P.blockEnd); }
  return min(kEnd, P.pastLen + P.S);
}

@compute @workgroup_size(64)
fn decode(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let h = wid.x;
  let i = wid.y;
  let hkv = h / (P.Hq / P.Hkv);
  let kEnd = rowEnd(i);

  let qBase = (i * P.Hq + h) * P.hd;
  let nPairs = (P.hd + 1u) / 2u;
  for (var pr = t; pr < nPairs; pr += WG) {
    let v = loadQ2(qBase, pr) * P.scale;
    qs[2u * pr] = v.x;
    qs[2u * pr + 1u] = v.y;
  }
  workgroupBarrier();

  let kvStride = P.Hkv * P.hd;
  var m = NEG;
  var l = 0.0;
  var acc0 = vec2<f32>(0.0);
  var acc1 = vec2<f32>(0.0);
  let pr0 = t;
  let pr1 = t + WG;

  for (var j0 = 0u; j0 < kEnd; j0 += WG) {
    let j = j0 + t;
    var s = NEG;
    var valid = false;
    if (j < kEnd && !keyHidden(j)) {
      s = dotQK(j * kvStride + hkv * P.hd);
      valid = true;
    }
    red[t] = s;
    workgroupBarrier();
    for (var st = WG / 2u; st > 0u; st >>= 1u) {
      if (t < st) { red[t] = max(red[t], red[t + st]); }
      workgroupBarrier();
    }
    let mNew = max(m, red[0]);
    let alpha = exp(m - mNew);  // m == mNew == NEG -> 1, acc and l are 0 then anyway
    ps[t] = select(0.0, exp(s - mNew), valid);
    workgroupBarrier();

    l *= alpha;
    acc0 *= alpha;
    acc1 *= alpha;
    let n = min(WG, kEnd - j0);
    for (var jj = 0u; jj < n; jj++) {
      let p = ps[jj];
      l += p;
      if (p != 0.0) {
        let vBase = (j0 + jj) * kvStride + hkv * P.hd;
        if (pr0 < nPairs) { acc0 += p * loadV2(vBase, pr0); }
        if (pr1 < nPairs) { acc1 += p * loadV2(vBase, pr1); }
      }
    }
    m = mNew;
    workgroupBarrier();  // ps and red are rewritten by the next tile
  }

  let inv = select(0.0, 1.0 / l, l > 0.0);
  let oBase = (i * P.Hq + h) * P.hd;
  if (pr0 < nPairs) { storeO2(oBase, pr0, acc0 * inv); }
  if (pr1 < nPairs) { storeO2(oBase, pr1, acc1 * inv); }
  if (P.writeLse != 0u && t == 0u) {
    lse[i * P.Hq + h] = select(NEG, m + log(l), l > 0.0);
  }
}

// ------------------------------------------------------------------------------------------ prefill

const HD: u32 = 256u;                 // set per pipeline to the exact head dim
const BQ: u32 = 64u;                  // query rows per workgroup (one per thread)
const TK: u32 = max(1u, 1024u / HD);  // keys per staged tile: kt + vt = 8 KiB
var<workgroup> kt: array<f32, 1024>;  // (TK, HD) this tile's keys
var<workgroup> vt: array<f32, 1024>;  // (TK, HD) this tile's values

//#if F16
fn loadEl(which: u32, base: u32, d: u32) -> f32 {
  var w: u32;
  if (which == 0u) { w = q[(base + d) >> 1u]; } else if (which == 1u) { w = kCache[(base + d) >> 1u]; } else { w = vCache[(base + d) >> 1u]; }
  let v = unpack2x16float(w);
  return select(v.x, v.y, (d & 1u) == 1u);
}
//#else
fn loadEl(which: u32, base: u32, d: u32) -> f32 {
  if (which == 0u) { return q[base + d]; }
  if (which == 1u) { return kCache[base + d]; }
  return vCache[base + d];
}
//#endif

@compute @workgroup_size(64)
fn prefill(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let h = wid.y;
  let i0 = wid.x * BQ;
  let i = i0 + t;
  let live = i < P.S;
  let hkv = h / (P.Hq / P.Hkv);
  let kEndBlock = rowEnd(min(i0 + BQ, P.S) - 1u);  // uniform: the block's last row sees the most keys
  let kEnd = rowEnd(min(i, P.S - 1u));
  let kvStride = P.Hkv * HD;

  var qr: array<f32, HD>;
  var acc: array<f32, HD>;
  let qBase = (min(i, P.S - 1u) * P.Hq + h) * HD;
  for (var d = 0u; d < HD; d++) { qr[d] = loadEl(0u, qBase, d) * P.scale; }
  var m = NEG;
  var l = 0.0;

  for (var j0 = 0u; j0 < kEndBlock; j0 += TK) {
    let nk = min(TK, kEndBlock - j0);
    for (var e = t; e < nk * HD; e += BQ) {
      let jj = e / HD;
      let d = e - jj * HD;
      let base = (j0 + jj) * kvStride + hkv * HD;
      kt[e] = loadEl(1u, base, d);
      vt[e] = loadEl(2u, base, d);
    }
    workgroupBarrier();
    if (live) {
      for (var jj = 0u; jj < nk; jj++) {
        let j = j0 + jj;
        if (j >= kEnd || keyHidden(j)) { continue; }
        var s = 0.0;
        for (var d = 0u; d < HD; d++) { s += qr[d] * kt[jj * HD + d]; }
        if (s > m) {
          let a = exp(m - s);
          l *= a;
          for (var d = 0u; d < HD; d++) { acc[d] *= a; }
          m = s;
        }
        let p = exp(s - m);
        l += p;
        for (var d = 0u; d < HD; d++) { acc[d] += p * vt[jj * HD + d]; }
      }
    }
    workgroupBarrier();  // kt/vt are rewritten by the next tile
  }

  if (!live) { return; }
  let inv = select(0.0, 1.0 / l, l > 0.0);
  let oBase = (i * P.Hq + h) * HD;
  for (var pr = 0u; pr < (HD + 1u) / 2u; pr++) {
    var v = vec2<f32>(acc[2u * pr], 0.0);
    if (2u * pr + 1u < HD) { v.y = acc[2u * pr + 1u]; }
    storeO2(oBase, pr, v * inv);
  }
  if (P.writeLse != 0u) {
    lse[i * P.Hq + h] = select(NEG, m + log(l), l > 0.0);
  }
}
