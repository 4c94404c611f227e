// One line that says which backend computes and how, e.g.
//   "WebGPU — google/swiftshader, fallback adapter, no shader-f16 → fp32"
//   "wasm — requestAdapter() returned null. On Linux, Chrome needs --enable-unsafe-webgpu ..."
import type { BackendStatus } from '../engine/api';

//   "WebGPU — google/swiftshader, ... → fp32. The GPU device was lost (destroyed); the engine restarted on a new device."
export function describeBackend(s: BackendStatus): string {
  if (s.backend === 'wasm') return `wasm — ${s.reason}`;
  const { vendor, architecture, description, device } = s.adapter;
  const name = [vendor, architecture].filter(Boolean).join('/') || description || device || 'unknown adapter';
  const parts = [name];
  if (s.isFallbackAdapter) parts.push('fallback adapter');
  parts.push(s.supportsF16 ? 'shader-f16 → fp16' : 'no shader-f16 → fp32');
  const loss = s.deviceLoss;
  const recovered = loss ? `. The GPU device was lost${loss.count > 1 ? ` ${loss.count} times` : ''} (${loss.reason}); the engine restarted on a new device${loss.count > 1 ? ' each time' : ''}.` : '';
  return `WebGPU — ${parts.join(', ')}${recovered}`;
}

/** Bytes in binary units for the details list: 1073741824 -> "1 GiB". */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1 && n % 1024 === 0) { n /= 1024; i++; }
  return `${n} ${units[i]}`;
}
