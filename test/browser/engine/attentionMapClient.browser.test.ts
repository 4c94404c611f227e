// attentionMap() and the decoder-path report through the real engine worker (EngineClient -> worker ->
// EngineHost) on the tiny fixture: what the UI calls for the heatmap over a photo.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { ModelInfo } from '../../../src/engine/api';
import { EngineClient } from '../../../src/engine/client';

const BASE = '/test/fixtures/tiny-package/';
let engine: EngineClient;
let info: ModelInfo;

beforeAll(async () => {
  engine = EngineClient.start();
  info = await engine.loadModel({ kind: 'url', url: BASE });
}, 300_000);
afterAll(() => engine.terminate());

test('ModelInfo reports the decoder path with its reason and how attention maps are computed', () => {
  expect(info.decoderPath).toMatch(/^(kernels|ort)$/);
  expect(info.decoderPathReason).toBeTruthy();
  if (info.device === 'webgpu') expect(info.decoderPathReason).toMatch(/measured at load/);
  expect(info.attentionMaps).toBe(info.device === 'webgpu' ? 'kernels' : 'cpu');
});

test('attentionMap(image): heat over the patch grid, per-token maps whose mean is the heat', async () => {
  const blob = await (await fetch(`${BASE}samples/sample_01.png`)).blob();
  const r = await engine.attentionMap(blob, { perToken: true });
  const [rows, cols] = r.grid;
  expect(r.grid).toEqual(info.patchGrid);
  const V = rows * cols;
  expect(r.heat).toBeInstanceOf(Float32Array);
  expect(r.heat.length).toBe(V);
  expect(r.perToken!.length).toBe(r.K * V);
  expect(r.K).toBe(info.K);
  expect(r.path).toBe(info.attentionMaps);
  for (let c = 0; c < V; c++) {
    let mean = 0;
    for (let k = 0; k < r.K; k++) mean += r.perToken![k * V + c] / r.K;
    expect(Math.abs(mean - r.heat[c])).toBeLessThan(1e-6);
    expect(r.heat[c]).toBeGreaterThanOrEqual(0);
  }
  const total = r.heat.reduce((a, b) => a + b, 0);
  expect(total).toBeGreaterThan(0);
  expect(total).toBeLessThanOrEqual(1 + 1e-5);
  const plain = await engine.attentionMap(blob);
  expect(plain.perToken).toBeUndefined();
  expect(Array.from(plain.heat)).toEqual(Array.from(r.heat));
}, 300_000);
