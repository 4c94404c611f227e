// The engine's InferenceBackend in the browser, on src/gpu/ort.ts (onnxruntime-web): WebGPU when the probe
// and self-test pass, else wasm with the reason. Every run goes through ort.ts's one queue; on WebGPU the KV
// cache stays in GPU buffers (gpu-buffer outputs fed back as inputs) and constants are uploaded once.
// A backend belongs to one GPU device: after a device loss (webDeviceRecovery) the host makes a new one.

import type { BackendSession, BackendTensor, InferenceBackend, NamedBackendTensors, SessionOptions } from './core/backend';
import {
  confirmDeviceLost, createSession, onOrtDeviceLost, recoverFromDeviceLoss, selectBackend, Tensor, uploadFloat32, type Backend, type NamedTensors,
} from '../gpu/ort';
import type { DeviceRecovery } from './host';

/** EngineHost's device-loss hooks on ORT's WebGPU device: a new device for the next backend, or wasm. */
export const webDeviceRecovery: DeviceRecovery = {
  onLost: (cb) => onOrtDeviceLost(() => cb()),
  confirmLost: () => confirmDeviceLost(),
  recover: async () => { await recoverFromDeviceLoss(); },
};

export interface WebBackendOptions {
  /** Force a backend (tests run both); default: the one selectBackend() chose. */
  backend?: Backend;
}

export async function createWebBackend(opts: WebBackendOptions = {}): Promise<InferenceBackend> {
  const choice = await selectBackend();
  const kind: Backend = opts.backend ?? choice.backend;
  return {
    kind,
    fallbackReason: opts.backend === undefined && kind === 'wasm' ? choice.reason : null,
    async createSession(bytes: Uint8Array, o: SessionOptions): Promise<BackendSession> {
      const s = await createSession(bytes, { backend: kind, name: o.name, gpuOutputs: o.gpuOutputs ?? false, externalData: o.externalData });
      return {
        name: s.name,
        device: s.backend,
        fallbackReason: s.fallbackReason,
        inputNames: s.inputNames,
        outputNames: s.outputNames,
        async run(feeds: NamedBackendTensors, fetches?: readonly string[]) {
          return (await s.run(feeds as unknown as NamedTensors, fetches)) as unknown as NamedBackendTensors;
        },
        async constant(data: Float32Array, dims: readonly number[]): Promise<BackendTensor> {
          if (s.backend === 'webgpu') return (await uploadFloat32(data, dims)) as unknown as BackendTensor;
          return new Tensor('float32', data, dims) as unknown as BackendTensor;
        },
        release: () => s.release(),
      };
    },
    async kernelAttention(shape) {
      if (kind !== 'webgpu') return null;
      const { kernelAttentionFactory } = await import('./kernelAttention');
      return kernelAttentionFactory(shape);
    },
    float32(data: Float32Array, dims: readonly number[]): BackendTensor {
      return new Tensor('float32', data, dims) as unknown as BackendTensor;
    },
    int64(data: BigInt64Array, dims: readonly number[]): BackendTensor {
      return new Tensor('int64', data, dims) as unknown as BackendTensor;
    },
  };
}
