// The one-line backend description the app shell shows (src/ui/describeBackend.ts).
import { describe, expect, test } from 'vitest';
import type { BackendStatus } from '../../src/engine/api';
import { describeBackend, formatBytes } from '../../src/ui/describeBackend';

const limits = {
  maxStorageBufferBindingSize: 1 << 30, maxBufferSize: 1 << 30, maxComputeWorkgroupStorageSize: 32768,
  maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupSizeX: 256, maxComputeWorkgroupSizeY: 256,
  maxComputeWorkgroupSizeZ: 64, maxComputeWorkgroupsPerDimension: 65535, maxStorageBuffersPerShaderStage: 8,
  maxBindGroups: 4, maxUniformBufferBindingSize: 65536,
};
const features = { shaderF16: false, subgroups: true, timestampQuery: true, all: ['subgroups', 'timestamp-query'] };
const common = { ortVersion: '1.30.0', wasmThreads: 1, crossOriginIsolated: true, startupMs: 10 };
const adapter = { vendor: 'google', architecture: 'swiftshader', device: '', description: '' };

function webgpu(over: Partial<Extract<BackendStatus, { backend: 'webgpu' }>> = {}): BackendStatus {
  return {
    ...common, backend: 'webgpu', adapter, isFallbackAdapter: true, supportsF16: false, compute: 'fp32',
    deviceLimits: limits, deviceFeatures: features,
    probe: { usable: true, adapter, isFallbackAdapter: true, limits, features, subgroupSizes: null },
    ...over,
  };
}

describe('describeBackend', () => {
  test('SwiftShader: fallback adapter, no shader-f16, fp32', () => {
    expect(describeBackend(webgpu())).toBe('WebGPU — google/swiftshader, fallback adapter, no shader-f16 → fp32');
  });

  test('a real GPU with shader-f16 computes in fp16 and is not called a fallback', () => {
    const s = webgpu({ adapter: { vendor: 'nvidia', architecture: 'ampere', device: '', description: '' }, isFallbackAdapter: false, supportsF16: true, compute: 'fp16' });
    expect(describeBackend(s)).toBe('WebGPU — nvidia/ampere, shader-f16 → fp16');
  });

  test('an adapter that hides vendor and architecture falls back to its description', () => {
    const s = webgpu({ adapter: { vendor: '', architecture: '', device: '', description: 'Some GPU' }, isFallbackAdapter: false });
    expect(describeBackend(s)).toBe('WebGPU — Some GPU, no shader-f16 → fp32');
  });

  test('wasm shows the reason', () => {
    const s: BackendStatus = {
      ...common, backend: 'wasm', reason: 'requestAdapter() returned null.', compute: 'fp32',
      probe: { usable: false, stage: 'no-adapter', reason: 'requestAdapter() returned null.' },
    };
    expect(describeBackend(s)).toBe('wasm — requestAdapter() returned null.');
  });
});

describe('formatBytes', () => {
  test('uses the largest binary unit that divides exactly', () => {
    expect(formatBytes(1 << 30)).toBe('1 GiB');
    expect(formatBytes(32768)).toBe('32 KiB');
    expect(formatBytes(134_217_728)).toBe('128 MiB');
    expect(formatBytes(1000)).toBe('1000 B');
    expect(formatBytes(1536)).toBe('1536 B');
  });
});
