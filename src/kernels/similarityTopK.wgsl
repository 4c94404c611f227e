// Gallery search: cosine similarity of Q queries against N stored embeddings, top-k per query on the
// GPU in two stages. Preprocessed: `//#if F16` = database rows stored as fp16 (raw half bits, two per
// u32, read with core unpack2x16float: no 'shader-f16' needed), otherwise fp32. Queries are fp32.
//
// scan:  workgroup (g, q) scores rows [g*rowsPerGroup, +rowsPerGroup) of one database chunk against
//        query qBase + q, 256 rows (one per thread) per tile, and keeps the best KC in workgroup memory;
//        writes them (sorted) to partial slot groupOffset + g of its query.
// merge: workgroup (g, q) reads candidates [g*candsPerGroup, +candsPerGroup) of query q's nIn partial
//        candidates and keeps the best KC the same way. The host repeats merge until one group is left.
// Keeping the best KC: slots [0, KC) of a 512-entry (score, index) array hold the current best, sorted;
// candidates that beat the KC-th best are appended after them (compacted with a workgroup atomic), the
// rest hold sentinels, and a bitonic sort of the 512 (only when the pending candidates would overflow 256,
// and once at the end) puts the new best KC first.
// Order: higher score first; equal scores -> lower index first (deterministic ties). Sentinel = score
// SENT, index NONE: what a slot holds when fewer than KC rows exist (k > N).
// Scores assume L2-normalised rows and queries (cosine = dot); normalize = 1 divides by both norms.

struct Params {
  d: u32,             // embedding dim (even for F16)
  rowsInChunk: u32,   // scan: valid rows in this chunk
  rowBase: u32,       // scan: global index of the chunk's first row
  rowsPerGroup: u32,  // scan: rows per workgroup, a multiple of 256
  groupOffset: u32,   // scan: this chunk's first group in the output
  groupsTotal: u32,   // groups per query in the output, (Qb, groupsTotal, KC)
  normalize: u32,     // scan: 1 = divide by |q| |x|
  qBase: u32,         // scan: first query row of this batch in the queries buffer
  outQBase: u32,      // first query row of this batch in the output
  nIn: u32,           // merge: candidates per query in the input
  candsPerGroup: u32, // merge: candidates per workgroup, a multiple of 256
}

override KC: u32 = 16u;   // k, 1..256
const TILE: u32 = 256u;
const SORT_N: u32 = 512u;
const SENT: f32 = -3.0e38;
const NONE: u32 = 0xffffffffu;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> queries: array<f32>;      // (Q, d) f32
//#if F16
@group(0) @binding(2) var<storage, read> db: array<u32>;           // (rowsInChunk, d) f16 pairs
//#else
@group(0) @binding(2) var<storage, read> db: array<f32>;           // (rowsInChunk, d) f32
//#endif
@group(0) @binding(3) var<storage, read_write> outScore: array<f32>; // (Qb, groupsTotal, KC)
@group(0) @binding(4) var<storage, read_write> outIdx: array<u32>;   // (Qb, groupsTotal, KC)
@group(0) @binding(5) var<storage, read> inScore: array<f32>;      // merge: (Qb, nIn)
@group(0) @binding(6) var<storage, read> inIdx: array<u32>;        // merge: (Qb, nIn)

var<workgroup> sScore: array<f32, SORT_N>;
var<workgroup> sIdx: array<u32, SORT_N>;
var<workgroup> countA: atomic<u32>;
var<workgroup> tileCount: u32;
var<workgroup> pending: u32;   // candidates waiting in slots [KC, KC + pending)

fn better(s1: f32, i1: u32, s2: f32, i2: u32) -> bool {
  return s1 > s2 || (s1 == s2 && i1 < i2);
}

fn initSlots(t: u32) {
  sScore[t] = SENT; sIdx[t] = NONE;
  sScore[t + TILE] = SENT; sIdx[t + TILE] = NONE;
  if (t == 0u) { atomicStore(&countA, 0u); pending = 0u; }
  workgroupBarrier();
}

// Bitonic sort of all SORT_N slots, best first. 256 threads, one compare-exchange each per step.
fn sortSlots(t: u32) {
  for (var k = 2u; k <= SORT_N; k <<= 1u) {
    for (var j = k >> 1u; j > 0u; j >>= 1u) {
      let i = 2u * j * (t / j) + (t % j);
      let p = i + j;
      let bestFirst = (i & k) == 0u;
      let a = sScore[i]; let ai = sIdx[i];
      let b = sScore[p]; let bi = sIdx[p];
      if (better(b, bi, a, ai) == bestFirst && (a != b || ai != bi)) {
        sScore[i] = b; sIdx[i] = bi;
        sScore[p] = a; sIdx[p] = ai;
      }
      workgroupBarrier();
    }
  }
}

// Merge the pending candidates into the best KC: sort, then clear [KC, SORT_N) to sentinels.
fn flush(t: u32) {
  sortSlots(t);
  for (var i = KC + t; i < SORT_N; i += TILE) { sScore[i] = SENT; sIdx[i] = NONE; }
  if (t == 0u) { pending = 0u; }
  workgroupBarrier();
}

// After each invocation has counted itself into countA: the total (uniform), counter reset.
fn tally(t: u32) -> u32 {
  workgroupBarrier();
  if (t == 0u) { tileCount = atomicLoad(&countA); atomicStore(&countA, 0u); }
  return workgroupUniformLoad(&tileCount);
}

// Every thread offers one candidate (SENT/NONE for none); call in uniform control flow. Candidates that
// beat the current KC-th best are appended to the pending slots (rank from a workgroup atomic); a sort
// happens only when a tile's candidates no longer fit (then they are re-counted against the new, higher
// threshold), so on typical data most tiles cost one atomic and a few barriers.
fn offer(t: u32, s: f32, idx: u32) {
  var cand = better(s, idx, sScore[KC - 1u], sIdx[KC - 1u]);
  var rank = 0u;
  if (cand) { rank = atomicAdd(&countA, 1u); }
  var n = tally(t);
  if (n == 0u) { return; }
  if (workgroupUniformLoad(&pending) + n > TILE) {
    flush(t);
    cand = better(s, idx, sScore[KC - 1u], sIdx[KC - 1u]);
    if (cand) { rank = atomicAdd(&countA, 1u); }
    n = tally(t);
    if (n == 0u) { return; }
  }
  let base = workgroupUniformLoad(&pending);
  if (cand) { sScore[KC + base + rank] = s; sIdx[KC + base + rank] = idx; }
  workgroupBarrier();
  if (t == 0u) { pending = base + n; }
  workgroupBarrier();
}

// After the last offer: merge what is still pending.
fn finish(t: u32) {
  if (workgroupUniformLoad(&pending) > 0u) { flush(t); }
}

fn writeBest(t: u32, slot: u32) {
  for (var s = t; s < KC; s += TILE) {
    outScore[slot * KC + s] = sScore[s];
    outIdx[slot * KC + s] = sIdx[s];
  }
}

@compute @workgroup_size(256)
fn scan(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  initSlots(t);
  let q = P.qBase + wid.y;
  let qo = q * P.d;
  let start = wid.x * P.rowsPerGroup;
  let end = min(start + P.rowsPerGroup, P.rowsInChunk);
  for (var r0 = start; r0 < end; r0 += TILE) {
    let r = r0 + t;
    var s = SENT;
    var idx = NONE;
    if (r < end) {
      var dot = 0.0;
      var xx = 0.0;
      var qq = 0.0;
//#if F16
      let ro = r * (P.d / 2u);
      for (var e = 0u; e < P.d / 2u; e++) {
        let x = unpack2x16float(db[ro + e]);
        let qv = vec2<f32>(queries[qo + 2u * e], queries[qo + 2u * e + 1u]);
        dot += qv.x * x.x + qv.y * x.y;
        xx += x.x * x.x + x.y * x.y;
        qq += qv.x * qv.x + qv.y * qv.y;
      }
//#else
      let ro = r * P.d;
      for (var e = 0u; e < P.d; e++) {
        let x = db[ro + e];
        let qv = queries[qo + e];
        dot += qv * x;
        xx += x * x;
        qq += qv * qv;
      }
//#endif
      s = dot;
      if (P.normalize != 0u) { s = dot * inverseSqrt(max(xx, 1e-30) * max(qq, 1e-30)); }
      idx = P.rowBase + r;
    }
    offer(t, s, idx);
  }
  finish(t);
  writeBest(t, (P.outQBase + wid.y) * P.groupsTotal + P.groupOffset + wid.x);
}

@compute @workgroup_size(256)
fn merge(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  initSlots(t);
  let base = wid.y * P.nIn;
  let start = wid.x * P.candsPerGroup;
  let end = min(start + P.candsPerGroup, P.nIn);
  for (var c0 = start; c0 < end; c0 += TILE) {
    let c = c0 + t;
    var s = SENT;
    var idx = NONE;
    if (c < end) { s = inScore[base + c]; idx = inIdx[base + c]; }
    offer(t, s, idx);
  }
  finish(t);
  writeBest(t, (P.outQBase + wid.y) * P.groupsTotal + wid.x);
}
