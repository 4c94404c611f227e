// Guards every kernel wrapper runs before it dispatches: shapes, dtypes, binding sizes and workgroup
// counts against this device's limits. A failed guard throws a named error whose message says which
// argument is wrong and what the limit is, instead of a silent out-of-bounds read or a validation error
// that surfaces later on the device's error scope.

import { GpuError, type HintedErrorOptions } from '../gpu/errors';

export type Dtype = 'f32' | 'f16';

/** Bytes per element as stored in GPU buffers (f16 = raw IEEE half bits, two per u32 word). */
export const BYTES: Record<Dtype, number> = { f32: 4, f16: 2 };

/** Arguments do not fit the kernel's layout contract (a caller bug); the message names the argument. */
export class KernelShapeError extends GpuError {
  constructor(message: string, opts: HintedErrorOptions = {}) {
    super(message, 'The model and the GPU kernels disagree about a tensor shape; please report this as a bug.', opts);
  }
}

/** The request does not fit this adapter's limits; the message names the limit and the size asked. */
export class KernelLimitError extends GpuError {
  constructor(message: string, opts: HintedErrorOptions = {}) {
    super(message, "This GPU's limits are too small for the request: try a smaller model or library, or another GPU/browser.", opts);
  }
}

export function checkInt(name: string, v: number, min = 0, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new KernelShapeError(`${name} = ${v}: expected an integer in [${min}, ${max}]`);
  }
}

export function checkShape(cond: boolean, msg: string): void {
  if (!cond) throw new KernelShapeError(msg);
}

/** A binding of `bytes` bytes (a buffer the kernel allocates itself) fits this adapter. */
export function checkBindingBytes(device: GPUDevice, name: string, bytes: number): void {
  const lim = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  if (bytes > lim) throw new KernelLimitError(`${name}: ${bytes} bytes exceeds this adapter's storage binding / buffer limit ${lim}`);
}

/** `bytes` bytes of `buf` will be bound as a storage buffer at offset 0. */
export function checkStorageBinding(device: GPUDevice, name: string, buf: GPUBuffer, bytes: number): void {
  const lim = device.limits.maxStorageBufferBindingSize;
  if (bytes > lim) {
    throw new KernelLimitError(`${name}: binding ${bytes} bytes exceeds maxStorageBufferBindingSize ${lim} of this adapter`);
  }
  if (buf.size < bytes) throw new KernelShapeError(`${name}: buffer '${buf.label}' has ${buf.size} bytes, the shape needs ${bytes}`);
  if ((buf.usage & GPUBufferUsage.STORAGE) === 0) throw new KernelShapeError(`${name}: buffer '${buf.label}' lacks STORAGE usage`);
}

export function checkWorkgroups(device: GPUDevice, label: string, x: number, y = 1, z = 1): void {
  const lim = device.limits.maxComputeWorkgroupsPerDimension;
  for (const [axis, n] of [['x', x], ['y', y], ['z', z]] as const) {
    if (n > lim) {
      throw new KernelLimitError(`${label}: ${n} workgroups along ${axis} exceeds maxComputeWorkgroupsPerDimension ${lim}`);
    }
    if (n < 1) throw new KernelShapeError(`${label}: empty dispatch along ${axis}`);
  }
}

export function checkStorageBufferCount(device: GPUDevice, label: string, n: number): void {
  const lim = device.limits.maxStorageBuffersPerShaderStage;
  if (n > lim) throw new KernelLimitError(`${label}: needs ${n} storage buffers, maxStorageBuffersPerShaderStage is ${lim}`);
}

export function checkWorkgroupSize(device: GPUDevice, label: string, threads: number, sharedBytes: number): void {
  if (threads > device.limits.maxComputeInvocationsPerWorkgroup) {
    throw new KernelLimitError(`${label}: ${threads} invocations per workgroup exceeds ${device.limits.maxComputeInvocationsPerWorkgroup}`);
  }
  if (sharedBytes > device.limits.maxComputeWorkgroupStorageSize) {
    throw new KernelLimitError(`${label}: ${sharedBytes} bytes of workgroup memory exceeds ${device.limits.maxComputeWorkgroupStorageSize}`);
  }
}

/** Round up to a multiple of 4 bytes (storage bindings and copies want 4-byte multiples). */
export const align4 = (bytes: number): number => Math.ceil(bytes / 4) * 4;
