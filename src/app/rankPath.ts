// Where search ranks the library: a JS scan on the main thread, or the WGSL similarityTopK kernel on the
// engine's GPU device (in the worker). Neither wins everywhere: the kernel pays a worker round trip and a
// readback per query, the scan pays N*d multiply-adds on the CPU. On SwiftShader (the "GPU" is the same two
// CPU cores) the scan was 9-20x faster at every size measured (bench/results/kernels.json); on a discrete
// GPU the kernel should win for large libraries. So the app measures both on the real library, once per
// model and size class, and ranks with the faster one, saying which and why.

export type RankPath = 'js' | 'gpu';

export interface RankChoice {
  path: RankPath;
  /** Median milliseconds per query of each path measured (gpu null when not available). */
  jsMs: number;
  gpuMs: number | null;
  /** Photos in the library when measured. */
  size: number;
  /** In words, for the search panel and the backend details. */
  reason: string;
}

const now = () => globalThis.performance?.now() ?? Date.now();

/** Median wall time of `runs` calls of `fn` after one warm-up call (pipelines, JIT). */
export async function medianMs(fn: () => unknown, runs: number): Promise<number> {
  await fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = now();
    await fn();
    t.push(now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)];
}

/**
 * Times the JS scan and (when given) the GPU ranking on the same query, `runs` each after a warm-up, and
 * picks the faster. `gpuUnavailable` says why there is no GPU path when `gpu` is null.
 */
export async function chooseRankPath(size: number, js: () => unknown, gpu: (() => Promise<unknown>) | null,
  opts: { runs?: number; gpuUnavailable?: string } = {}): Promise<RankChoice> {
  const runs = opts.runs ?? 3;
  const jsMs = await medianMs(js, runs);
  const f = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(1));
  if (!gpu) {
    return { path: 'js', jsMs, gpuMs: null, size, reason: `JS scan on the main thread (${f(jsMs)} ms per query); ${opts.gpuUnavailable ?? 'no GPU ranking available'}` };
  }
  let gpuMs: number;
  try {
    gpuMs = await medianMs(gpu, runs);
  } catch (e) {
    return { path: 'js', jsMs, gpuMs: null, size, reason: `JS scan on the main thread (${f(jsMs)} ms per query); the GPU kernel failed: ${(e as Error).message}` };
  }
  const path: RankPath = gpuMs < jsMs ? 'gpu' : 'js';
  const measured = `measured on ${size} photos: GPU kernel ${f(gpuMs)} ms vs JS scan ${f(jsMs)} ms per query`;
  return { path, jsMs, gpuMs, size, reason: path === 'gpu' ? `GPU similarity kernel (${measured})` : `JS scan on the main thread (${measured})` };
}

/** Size class of a library: the choice is measured again when the library doubles or halves. */
export function sizeClass(n: number): number {
  return n <= 1 ? 0 : Math.floor(Math.log2(n));
}
