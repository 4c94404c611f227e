// The backend line after a GPU device loss: on a new device it says the device was lost and the engine restarted;
// on wasm the reason (written by src/gpu/ort.ts) says it.
import { describe, expect, test } from 'vitest';
import type { BackendStatus } from '../../src/engine/api';
import { describeBackend } from '../../src/ui/describeBackend';

const probe = { usable: false, stage: 'no-adapter', reason: 'x' } as const;
const common = { ortVersion: '1.30.0', wasmThreads: 1, crossOriginIsolated: true, probe, startupMs: 10 };
const limits = {
  maxStorageBufferBindingSize: 1, maxBufferSize: 1, maxComputeWorkgroupStorageSize: 1, maxComputeInvocationsPerWorkgroup: 1,
  maxComputeWorkgroupSizeX: 1, maxComputeWorkgroupSizeY: 1, maxComputeWorkgroupSizeZ: 1, maxComputeWorkgroupsPerDimension: 1,
  maxStorageBuffersPerShaderStage: 1, maxBindGroups: 1, maxUniformBufferBindingSize: 1,
};
const webgpu = (deviceLoss: BackendStatus['deviceLoss']): BackendStatus => ({
  ...common, deviceLoss, backend: 'webgpu', adapter: { vendor: 'google', architecture: 'swiftshader', device: '', description: '' },
  isFallbackAdapter: true, supportsF16: false, compute: 'fp32', deviceLimits: limits,
  deviceFeatures: { shaderF16: false, subgroups: true, timestampQuery: true, all: [] },
});

describe('describeBackend after a GPU device loss', () => {
  test('no loss: the usual line', () => {
    expect(describeBackend(webgpu(null))).toBe('WebGPU — google/swiftshader, fallback adapter, no shader-f16 → fp32');
  });
  test('one loss, a new device', () => {
    expect(describeBackend(webgpu({ count: 1, reason: 'destroyed', message: 'Device was destroyed.', at: 1, outcome: 'new-device' })))
      .toBe('WebGPU — google/swiftshader, fallback adapter, no shader-f16 → fp32. The GPU device was lost (destroyed); the engine restarted on a new device.');
  });
  test('two losses', () => {
    expect(describeBackend(webgpu({ count: 2, reason: 'unknown', message: '', at: 1, outcome: 'new-device' })))
      .toBe('WebGPU — google/swiftshader, fallback adapter, no shader-f16 → fp32. The GPU device was lost 2 times (unknown); the engine restarted on a new device each time.');
  });
  test('on wasm the reason says it', () => {
    const s: BackendStatus = { ...common, backend: 'wasm', compute: 'fp32', reason: 'The GPU device was lost (destroyed) and a new GPU device could not be started: x; the CPU (wasm) computes now, more slowly.' };
    expect(describeBackend(s)).toBe(`wasm — ${s.reason}`);
  });
});
