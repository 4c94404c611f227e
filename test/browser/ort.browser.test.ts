// src/gpu/ort.ts in real Chromium (WebGPU on SwiftShader) with real onnxruntime-web:
// backend choice, webgpu == wasm == float64 reference on generated models, the f16 fallback, the one queue.
import { describe, expect, test } from 'vitest';
import { createSession, runExclusive, selectBackend, Tensor, type OrtSession } from '../../src/gpu/ort';
import { ShaderF16SupportError } from '../../src/gpu/errors';
import { attr, buildModel, initializer, matMulAddReluModel, node, randomFloats, softmaxModel, tensor } from '../helpers/onnxBuilder';

/** Reference y = relu(x @ w + b) in float64: x (m, k), w (k, n), b (n,) -> (m, n). */
function matMulAddReluRef(x: Float32Array, w: Float32Array, b: Float32Array, m: number, k: number, n: number): Float64Array {
  const y = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = b[j];
      for (let p = 0; p < k; p++) acc += x[i * k + p] * w[p * n + j];
      y[i * n + j] = Math.max(0, acc);
    }
  }
  return y;
}

/** Reference softmax over the last axis in float64: x (rows, cols). */
function softmaxRef(x: Float32Array, rows: number, cols: number): Float64Array {
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let c = 0; c < cols; c++) max = Math.max(max, x[r * cols + c]);
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += Math.exp(x[r * cols + c] - max);
    for (let c = 0; c < cols; c++) y[r * cols + c] = Math.exp(x[r * cols + c] - max) / sum;
  }
  return y;
}

/** Largest |a - b| - rtol*|b| over all elements; <= atol means close. */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  const bad: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= atol + rtol * Math.abs(expected[i]))) bad.push(`[${i}] ${actual[i]} vs ${expected[i]}`);
  }
  expect(bad.slice(0, 5), `${bad.length} mismatches`).toEqual([]);
}

async function runF32(s: OrtSession, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const out = await s.run({ x: new Tensor('float32', x.slice(), dims) });
  return (await out.y.getData()) as Float32Array;
}

describe('backend selection', () => {
  test('chooses webgpu with --enable-unsafe-webgpu and agrees with the probe on shader-f16', async () => {
    const c = await selectBackend();
    expect(c.reason).toBeNull();
    expect(c.backend).toBe('webgpu');
    expect(c.probe.usable).toBe(true);
    if (c.probe.usable) expect(c.supportsF16).toBe(c.probe.features.shaderF16);
    expect(c.ortVersion).toMatch(/^1\.\d+\.\d+/);
    expect(c.wasmThreads).toBeGreaterThanOrEqual(1);
    expect(await selectBackend()).toBe(c); // memoised
  });
});

describe('webgpu and wasm EPs agree with a float64 reference', () => {
  test('MatMul + Add + Relu, symbolic batch', async () => {
    const [m, k, n] = [3, 5, 4];
    const w = randomFloats(k * n, 7); // (k, n)
    const b = randomFloats(n, 8, 0.5); // (n,)
    const x = randomFloats(m * k, 9); // (m, k)
    const model = matMulAddReluModel(w, b, k, n);
    const gpu = await createSession(model, { backend: 'webgpu', name: 'mlp.onnx' });
    const cpu = await createSession(model, { backend: 'wasm', name: 'mlp.onnx' });
    expect([gpu.backend, gpu.fallbackReason]).toEqual(['webgpu', null]);
    expect(cpu.backend).toBe('wasm');
    expect(gpu.inputNames).toEqual(['x']);
    expect(gpu.outputNames).toEqual(['y']);
    const ref = matMulAddReluRef(x, w, b, m, k, n);
    // Relu must both clip and pass values, or this test would not notice a missing bias or activation.
    expect(ref.some((v) => v === 0) && ref.some((v) => v > 0.1)).toBe(true);
    const [yg, yc] = await Promise.all([runF32(gpu, x, [m, k]), runF32(cpu, x, [m, k])]);
    expectClose(yg, ref, 1e-5);
    expectClose(yc, ref, 1e-5);
    expectClose(yg, yc, 1e-5);
    await Promise.all([gpu.release(), cpu.release()]);
  });

  test('Softmax over peaked logits (x * 20)', async () => {
    const [rows, cols] = [2, 7];
    const x = randomFloats(rows * cols, 11, 20); // (rows, cols); spread so softmax is not flat
    const model = softmaxModel(cols);
    const gpu = await createSession(model, { backend: 'webgpu' });
    const cpu = await createSession(model, { backend: 'wasm' });
    const ref = softmaxRef(x, rows, cols);
    expect(Math.max(...ref)).toBeGreaterThan(0.5);
    const yg = await runF32(gpu, x, [rows, cols]);
    const yc = await runF32(cpu, x, [rows, cols]);
    expectClose(yg, ref, 1e-6);
    expectClose(yc, ref, 1e-6);
    await gpu.release();
    await cpu.release();
  });
});

describe('fp16 model on a device with or without shader-f16', () => {
  // y = x @ w in float16; x (2, 3), w (3, 2). Values are exact in fp16 so the result is exact too.
  const w16 = new Uint16Array([0x3c00, 0x4000, 0xbc00, 0x3800, 0x0000, 0x4200]); // [1, 2, -1, 0.5, 0, 3]
  const model = buildModel({
    inputs: [tensor('x', 'float16', [2, 3])], outputs: [tensor('y', 'float16', [2, 2])],
    initializers: [initializer('w', [3, 2], w16)], nodes: [node('MatMul', ['x', 'w'], ['y'])],
  });
  const x16 = new Uint16Array([0x3c00, 0x4000, 0x4200, 0xbc00, 0x0000, 0x3800]); // [1, 2, 3, -1, 0, 0.5]
  const expected = [1 - 2 + 0, 2 + 1 + 9, -1 + 0 + 0, -2 + 0 + 1.5]; // [-1, 12, -1, -0.5]

  test('falls back to wasm with a reason exactly when shader-f16 is missing, and computes correctly', async () => {
    const c = await selectBackend();
    const s = await createSession(model, { backend: 'webgpu', name: 'f16.onnx' });
    if (c.supportsF16) {
      expect([s.backend, s.fallbackReason]).toEqual(['webgpu', null]);
    } else {
      expect(s.backend).toBe('wasm');
      expect(s.fallbackReason).toMatch(/f16/i);
    }
    const out = await s.run({ x: new Tensor('float16', x16.slice(), [2, 3]) });
    const y = await out.y.getData(); // (2, 2) float16: Float16Array where the browser has it, else bit patterns
    const values = y instanceof Uint16Array ? [...y].map(f16ToNumber) : Array.from(y as ArrayLike<number>);
    expect(values).toEqual(expected);
    await s.release();
  });

  test('without fallback, a missing shader-f16 is a ShaderF16SupportError naming the model', async () => {
    const c = await selectBackend();
    if (c.supportsF16) return; // nothing to refuse on a device with f16
    const err = await createSession(model, { backend: 'webgpu', fallbackToWasm: false, name: 'f16.onnx' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShaderF16SupportError);
    expect((err as ShaderF16SupportError).message).toContain('f16.onnx');
    expect((err as ShaderF16SupportError).hint).toMatch(/fp32/);
  });

  test('f16 used only inside the graph: run() names the missing shader-f16 (or computes, with f16)', async () => {
    // x (2, 3) f32 -> Cast f16 -> MatMul w (3, 2) f16 -> Cast f32 -> y (2, 2): f32 at the edges, f16 inside.
    const inner = buildModel({
      inputs: [tensor('x', 'float32', [2, 3])], outputs: [tensor('y', 'float32', [2, 2])],
      initializers: [initializer('w', [3, 2], w16)],
      nodes: [
        node('Cast', ['x'], ['x16'], { attrs: { to: attr.int(10) } }), // 10 = FLOAT16
        node('MatMul', ['x16', 'w'], ['y16']),
        node('Cast', ['y16'], ['y'], { attrs: { to: attr.int(1) } }), // 1 = FLOAT
      ],
    });
    const c = await selectBackend();
    const s = await createSession(inner, { backend: 'webgpu', name: 'inner-f16.onnx' });
    expect(s.backend).toBe('webgpu'); // nothing at its edges says f16
    const x = new Float32Array([1, 2, 3, -1, 0, 0.5]);
    const run = s.run({ x: new Tensor('float32', x, [2, 3]) });
    if (c.supportsF16) {
      expect([...((await run).y.data as Float32Array)]).toEqual(expected);
    } else {
      const err = await run.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ShaderF16SupportError);
      expect((err as Error).message).toContain('inner-f16.onnx');
    }
    await s.release();
  });
});

function f16ToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

describe('one queue for ORT', () => {
  test('runExclusive runs tasks one at a time in call order, and a failure does not break the chain', async () => {
    const log: string[] = [];
    let active = 0;
    const task = (id: string, ms: number, fail = false) => runExclusive(async () => {
      active++;
      log.push(`start ${id} (active ${active})`);
      await new Promise((r) => setTimeout(r, ms));
      active--;
      log.push(`end ${id}`);
      if (fail) throw new Error(`task ${id} failed`);
      return id;
    });
    const results = await Promise.allSettled([task('a', 30), task('b', 1, true), task('c', 10)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(log).toEqual(['start a (active 1)', 'end a', 'start b (active 1)', 'end b', 'start c (active 1)', 'end c']);
  });

  test('concurrent runs on two webgpu sessions all return their own correct results', async () => {
    const [k, n] = [4, 3];
    const w1 = randomFloats(k * n, 21), w2 = randomFloats(k * n, 22), b = new Float32Array(n);
    const s1 = await createSession(matMulAddReluModel(w1, b, k, n), { backend: 'webgpu' });
    const s2 = await createSession(matMulAddReluModel(w2, b, k, n), { backend: 'webgpu' });
    const xs = [1, 2, 3, 4].map((seed) => randomFloats(2 * k, 100 + seed));
    const ys = await Promise.all(xs.map((x, i) => runF32(i % 2 ? s2 : s1, x, [2, k])));
    ys.forEach((y, i) => expectClose(y, matMulAddReluRef(xs[i], i % 2 ? w2 : w1, b, 2, k, n), 1e-5));
    await s1.release();
    await s2.release();
    await expect(s1.run({ x: new Tensor('float32', xs[0], [2, k]) })).rejects.toThrow(/already released/);
  });
});
