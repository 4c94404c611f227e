// Expandable facts about the backend: adapter, device limits, features, ORT version, threads.
import type { BackendStatus } from '../engine/api';
import { formatBytes } from './describeBackend';

export function BackendDetails({ status }: { status: BackendStatus }) {
  const rows: [string, string][] = [
    ['ONNX Runtime Web', status.ortVersion],
    ['wasm threads', `${status.wasmThreads}${status.crossOriginIsolated ? '' : ' (page not cross-origin isolated)'}`],
    ['Startup', `${Math.round(status.startupMs)} ms`],
  ];
  if (status.backend === 'webgpu') {
    const { adapter, deviceLimits: l, deviceFeatures: f } = status;
    rows.unshift(
      ['Adapter', [adapter.vendor, adapter.architecture, adapter.device, adapter.description].filter(Boolean).join(' · ') || 'not reported'],
      ['Compute precision', status.compute],
      ['Max storage binding', formatBytes(l.maxStorageBufferBindingSize)],
      ['Max buffer', formatBytes(l.maxBufferSize)],
      ['Workgroup storage', formatBytes(l.maxComputeWorkgroupStorageSize)],
      ['Invocations / workgroup', String(l.maxComputeInvocationsPerWorkgroup)],
      ['Features', f.all.join(', ') || 'none'],
    );
  }
  return (
    <details className="details">
      <summary>Device details</summary>
      <dl>
        {rows.map(([k, v]) => (
          <div className="row" key={k}><dt>{k}</dt><dd>{v}</dd></div>
        ))}
      </dl>
    </details>
  );
}
