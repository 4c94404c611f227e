// Which decoder the engine runs on WebGPU: the per-layer graphs with our WGSL attention ("kernels") or the
// monolithic decoder.onnx ("ort"). Neither wins everywhere: the kernel path runs 2 * layers + 1 sessions per
// step (more dispatch overhead) but attends over a KV cache it appends in place, where decoder.onnx copies
// its whole past into new present tensors every step. So the engine measures both at load, on this adapter,
// and takes the one that answers faster: one prefill plus ANSWER_STEPS decode steps (a typical answer). The
// bench (bench/decoder.bench.browser.ts, bench/results/decoder.json) shows why both terms matter: on
// SwiftShader the kernel path runs pass 1 in 0.7x the time of decoder.onnx, while its decode step took
// 0.9x in one quiet run and 1.25x in the next, so the choice between them can go either way on this adapter.

import { KvCache, runDecoder } from './decoder';
import type { DecoderPath } from './kernelDecoder';
import type { LoadedModel } from './model';

/** Decode steps of the "typical answer" the choice weighs against one prefill. */
export const ANSWER_STEPS = 16;

const now = () => globalThis.performance?.now() ?? Date.now();

export interface DecoderTiming {
  /** Milliseconds of one prefill of `prefill` positions from an empty cache (logits of the last row). */
  prefillMs: number;
  /** Median milliseconds of one decode step (S = 1) after it. */
  stepMs: number;
}

/** Times `path` on `prefill` positions then `steps` decode steps (generation adapter, logits read back). */
export async function timeDecoderPath(model: LoadedModel, path: DecoderPath, prefill: number, steps: number): Promise<DecoderTiming> {
  const { d, summaryTokens, K } = model;
  const embeds = new Float32Array(prefill * d);
  for (let i = 0; i < prefill; i++) embeds.set(summaryTokens.subarray((i % K) * d, (i % K + 1) * d), i * d);
  const one = summaryTokens.subarray(0, d);
  let cache = KvCache.empty(model, path);
  try {
    const t0 = now();
    const r = await runDecoder(model, { embeds, cache, pass: 'generate', logits: 'last' });
    const prefillMs = now() - t0;
    cache.dispose();
    cache = r.cache!;
    const times: number[] = [];
    for (let s = 0; s < steps; s++) {
      const t1 = now();
      const st = await runDecoder(model, { embeds: one, cache, pass: 'generate', logits: 'last' });
      times.push(now() - t1);
      cache.dispose();
      cache = st.cache!;
    }
    times.sort((a, b) => a - b);
    return { prefillMs, stepMs: times.length ? times[Math.floor(times.length / 2)] : NaN };
  } finally {
    cache.dispose();
  }
}

export interface DecoderChoice {
  path: DecoderPath;
  reason: string;
  timings?: Record<DecoderPath, DecoderTiming>;
}

/**
 * The faster decoder on this backend, measured: one warm-up run of each path (pipelines, ORT kernels), then
 * a prefill of 16 positions and 5 decode steps each, compared on prefill + ANSWER_STEPS * median step.
 */
export async function chooseDecoderPath(model: LoadedModel): Promise<DecoderChoice> {
  const l = model.layers;
  if (!l) return { path: 'ort', reason: 'the package has no per-layer graphs' };
  if (!l.kernels) return { path: 'ort', reason: 'the WGSL attention kernels need WebGPU (the layer graphs are not on WebGPU)' };
  await timeDecoderPath(model, 'ort', 4, 1);
  await timeDecoderPath(model, 'kernels', 4, 1);
  const ort = await timeDecoderPath(model, 'ort', 16, 5);
  const kernels = await timeDecoderPath(model, 'kernels', 16, 5);
  const answer = (t: DecoderTiming) => t.prefillMs + ANSWER_STEPS * t.stepMs;
  const path: DecoderPath = answer(kernels) < answer(ort) ? 'kernels' : 'ort';
  const f = (x: number) => x.toFixed(1);
  return {
    path, timings: { ort, kernels },
    reason: `measured at load: prefill of 16 + ${ANSWER_STEPS} decode steps ${f(answer(kernels))} ms (WGSL kernels) vs ${f(answer(ort))} ms (decoder.onnx); `
      + `decode step ${f(kernels.stepMs)} vs ${f(ort.stepMs)} ms, prefill ${f(kernels.prefillMs)} vs ${f(ort.prefillMs)} ms`,
  };
}
