// src/gpu/probe.ts in real Chromium launched with --enable-unsafe-webgpu (see vitest.browser.config.ts).
import { describe, expect, test } from 'vitest';
import { probeWebGpu, type GpuProbe } from '../../src/gpu/probe';

// WebGPU's guaranteed minimums (spec "limit defaults"): any conforming adapter reports at least these.
const SPEC_MINIMUMS = {
  maxStorageBufferBindingSize: 134_217_728,
  maxBufferSize: 268_435_456,
  maxComputeWorkgroupStorageSize: 16_384,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupsPerDimension: 65_535,
  maxStorageBuffersPerShaderStage: 8,
  maxBindGroups: 4,
};

async function usableProbe(): Promise<Extract<GpuProbe, { usable: true }>> {
  const p = await probeWebGpu();
  if (!p.usable) throw new Error(`WebGPU unusable in the test browser: ${p.reason}`);
  return p;
}

describe('probe in a window', () => {
  test('is usable with --enable-unsafe-webgpu and its fields agree with a fresh adapter', async () => {
    const p = await usableProbe();
    const adapter = (await navigator.gpu.requestAdapter())!;
    expect(p.adapter.vendor).toBe(adapter.info.vendor);
    expect(p.adapter.architecture).toBe(adapter.info.architecture);
    expect(p.adapter.architecture.length + p.adapter.vendor.length).toBeGreaterThan(0);
    expect(p.isFallbackAdapter).toBe(adapter.info.isFallbackAdapter);
    expect(p.features.all).toEqual([...adapter.features].sort());
    expect(p.features.shaderF16).toBe(adapter.features.has('shader-f16'));
    expect(p.features.subgroups).toBe(adapter.features.has('subgroups'));
    expect(p.features.timestampQuery).toBe(adapter.features.has('timestamp-query'));
    expect(p.limits.maxStorageBufferBindingSize).toBe(adapter.limits.maxStorageBufferBindingSize);
    for (const [k, min] of Object.entries(SPEC_MINIMUMS)) {
      expect(p.limits[k as keyof typeof SPEC_MINIMUMS], k).toBeGreaterThanOrEqual(min);
    }
    // Subgroup sizes are reported exactly when the feature is there, as powers of two with min <= max.
    if (p.subgroupSizes) {
      expect(p.features.subgroups).toBe(true);
      const { min, max } = p.subgroupSizes;
      expect(min).toBeLessThanOrEqual(max);
      expect([min, max].every((v) => v > 0 && (v & (v - 1)) === 0)).toBe(true);
    }
  });

  test('a SwiftShader adapter (the GPU-less test machines) is a fallback adapter without shader-f16', async () => {
    const p = await usableProbe();
    const swiftShader = /swiftshader/i.test(`${p.adapter.architecture} ${p.adapter.description}`);
    // These machines have no GPU (ENVIRONMENT.md); on a machine with one, this test says so and checks nothing else.
    if (!swiftShader) { console.info(`not SwiftShader: ${JSON.stringify(p.adapter)}`); return; }
    expect(p.adapter.vendor).toBe('google');
    expect(p.isFallbackAdapter).toBe(true);
    expect(p.features.shaderF16).toBe(false);
    expect(p.features.all).not.toContain('shader-f16');
  });
});

describe('probe in a dedicated worker', () => {
  test('reports the same adapter, features and limits as the window', async () => {
    const w = new Worker(new URL('./fixtures/probeWorker.ts', import.meta.url), { type: 'module' });
    const inWorker = await new Promise<GpuProbe>((resolve, reject) => {
      w.addEventListener('message', (ev) => resolve(ev.data as GpuProbe));
      w.addEventListener('error', (ev) => reject(new Error(ev.message)));
    });
    w.terminate();
    expect(inWorker).toEqual(await usableProbe());
  });
});

describe('unusable WebGPU gives a reason a user can act on', () => {
  test('no navigator.gpu', async () => {
    const p = await probeWebGpu(null);
    expect(p).toMatchObject({ usable: false, stage: 'no-navigator-gpu' });
    if (!p.usable) expect(p.reason).toMatch(/navigator\.gpu is missing/);
  });

  // The adapter-null and device-failure paths need a browser without the flag (covered end to end in
  // test/e2e/app.e2e.test.ts); here a minimal stand-in GPU object drives each branch of the probe.
  test('requestAdapter() returning null mentions --enable-unsafe-webgpu', async () => {
    const p = await probeWebGpu({ requestAdapter: async () => null } as unknown as GPU);
    expect(p).toMatchObject({ usable: false, stage: 'no-adapter' });
    if (!p.usable) expect(p.reason).toMatch(/returned null.*--enable-unsafe-webgpu/);
  });

  test('requestDevice() failing carries its message', async () => {
    const real = (await navigator.gpu.requestAdapter())!;
    const adapter = Object.create(real, {
      info: { value: real.info },
      requestDevice: { value: async () => { throw new DOMException('device quota exhausted', 'OperationError'); } },
    }) as GPUAdapter;
    const p = await probeWebGpu({ requestAdapter: async () => adapter } as unknown as GPU);
    expect(p).toMatchObject({ usable: false, stage: 'request-device-failed' });
    if (!p.usable) expect(p.reason).toBe('requestDevice() failed: device quota exhausted');
  });
});
