// Image preprocessing for the vision encoder: crop, resize, normalise, RGBA8 -> (3, H, W) fp32 planar.
// Resampling follows PIL's Image.resize (separable, horizontal pass then vertical; the filter is
// stretched by the scale factor when downscaling, which is what antialiases):
//   scale = in / out, fscale = max(scale, 1), center = (o + 0.5) * scale,
//   taps i in [max(int(center - support*fscale + 0.5), 0), min(int(center + support*fscale + 0.5), in)),
//   weight_i = filter((i - center + 0.5) / fscale), normalised to sum 1 (argument computed exactly,
//   see tapWeight).
//   filterKind 0 = bilinear (triangle, support 1), 1 = box (support 0.5: exact area average for integer
//   factors, which is what the training data uses: 256 -> 64).
// Unlike PIL on 8-bit images, the intermediate stays fp32 (no rounding to uint8 between the passes).
//
// horizontal: thread (ox, y) for the crop's rows -> tmp (cropH, dstW) vec4 in [0, 1]
// vertical:   thread (ox, oy) -> out[c, oy, ox] = (value_c - mean_c) * invStd_c

struct Params {
  srcW: u32,
  srcH: u32,
  cropX: u32,
  cropY: u32,
  cropW: u32,
  cropH: u32,
  dstW: u32,
  dstH: u32,
  filterKind: u32, // 0 bilinear, 1 box
  mean0: f32,
  mean1: f32,
  mean2: f32,
  invStd0: f32,
  invStd1: f32,
  invStd2: f32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> src: array<u32>;               // (srcH, srcW) RGBA8, R in the low byte
@group(0) @binding(2) var<storage, read_write> tmp: array<vec4<f32>>;   // (cropH, dstW)
@group(0) @binding(3) var<storage, read_write> outp: array<f32>;        // (3, dstH, dstW)

// Weight of input i for output o, from exact integers: with num = out*(2i+1) - in*(2o+1) and
// lim = max(in, out), the filter argument (i - center + 0.5) / fscale is exactly num / (2 lim). So the
// box edges (x = +-0.5, hit whenever (o+1)*in/out is a half-integer) are decided without rounding,
// identically on the GPU and in the float64 reference.
fn tapWeight(i: u32, o: u32, inSize: u32, outSize: u32) -> f32 {
  let num = i32(outSize * (2u * i + 1u)) - i32(inSize * (2u * o + 1u));
  let lim = i32(max(inSize, outSize));
  if (P.filterKind == 1u) { return select(0.0, 1.0, num > -lim && num <= lim); }  // box: x in (-0.5, 0.5], as Pillow
  return max(0.0, 1.0 - f32(abs(num)) / f32(2 * lim));                          // bilinear: 1 - |x|
}

// Candidate inputs for output o: PIL's [int(center - support + 0.5), int(center + support + 0.5)),
// widened by one on each side (clamped); taps outside the filter get weight 0 from tapWeight.
fn taps(o: u32, inSize: u32, outSize: u32) -> vec2<u32> {
  let scale = f32(inSize) / f32(outSize);
  let support = select(1.0, 0.5, P.filterKind == 1u) * max(scale, 1.0);
  let center = (f32(o) + 0.5) * scale;
  let lo = u32(max(center - support - 0.5, 0.0));
  let hi = min(u32(max(center + support + 1.5, 0.0)), inSize);
  return vec2<u32>(lo, select(0u, hi - lo, hi > lo));
}

@compute @workgroup_size(8, 8)
fn horizontal(@builtin(global_invocation_id) gid: vec3<u32>) {
  let ox = gid.x;
  let y = gid.y;
  if (ox >= P.dstW || y >= P.cropH) { return; }
  let t = taps(ox, P.cropW, P.dstW);
  var acc = vec4<f32>(0.0);
  var wsum = 0.0;
  let row = (P.cropY + y) * P.srcW + P.cropX;
  for (var n = 0u; n < t.y; n++) {
    let i = t.x + n;
    let w = tapWeight(i, ox, P.cropW, P.dstW);
    acc += w * unpack4x8unorm(src[row + i]);
    wsum += w;
  }
  tmp[y * P.dstW + ox] = select(vec4<f32>(0.0), acc / wsum, wsum != 0.0);
}

@compute @workgroup_size(8, 8)
fn vertical(@builtin(global_invocation_id) gid: vec3<u32>) {
  let ox = gid.x;
  let oy = gid.y;
  if (ox >= P.dstW || oy >= P.dstH) { return; }
  let t = taps(oy, P.cropH, P.dstH);
  var acc = vec4<f32>(0.0);
  var wsum = 0.0;
  for (var n = 0u; n < t.y; n++) {
    let j = t.x + n;
    let w = tapWeight(j, oy, P.cropH, P.dstH);
    acc += w * tmp[j * P.dstW + ox];
    wsum += w;
  }
  let v = select(vec4<f32>(0.0), acc / wsum, wsum != 0.0);
  let plane = P.dstH * P.dstW;
  let o = oy * P.dstW + ox;
  outp[o] = (v.x - P.mean0) * P.invStd0;
  outp[plane + o] = (v.y - P.mean1) * P.invStd1;
  outp[2u * plane + o] = (v.z - P.mean2) * P.invStd2;
}
