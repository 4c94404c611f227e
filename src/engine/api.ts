// EngineApi: what the UI can ask of the engine. The UI only ever sees this interface; the implementation
// (client.ts) forwards to the engine worker (worker.ts) over the typed protocol (protocol.ts, rpc.ts).

import type { GpuAdapterSummary, GpuFeaturesOfInterest, GpuLimitsOfInterest, GpuProbe } from '../gpu/probe';

interface BackendStatusCommon {
  /** onnxruntime-web version in the worker. */
  ortVersion: string;
  /** ORT wasm threads (1 unless the page is cross-origin isolated). */
  wasmThreads: number;
  crossOriginIsolated: boolean;
  /** The raw probe (adapter limits and features, or why WebGPU is unusable). */
  probe: GpuProbe;
  /** Milliseconds the worker took to probe and start ORT (includes the WebGPU self-test). */
  startupMs: number;
}

/** The compute backend the engine actually runs on, as measured inside the worker. */
export type BackendStatus =
  | (BackendStatusCommon & {
      backend: 'webgpu';
      adapter: GpuAdapterSummary;
      isFallbackAdapter: boolean;
      supportsF16: boolean;
      /** Precision our kernels and models use: fp16 needs shader-f16. */
      compute: 'fp16' | 'fp32';
      /** Limits of ORT's device, the one our kernels run on (may be below the adapter's). */
      deviceLimits: GpuLimitsOfInterest;
      deviceFeatures: GpuFeaturesOfInterest;
    })
  | (BackendStatusCommon & {
      backend: 'wasm';
      /** Why WebGPU is not used, in words for the UI. */
      reason: string;
      compute: 'fp32';
    });

export interface EngineApi {
  /** Probes WebGPU and starts ONNX Runtime in the worker; reports the backend really in use. */
  probe(): Promise<BackendStatus>;

  // Later issues add (each with an optional last `opts?: { signal?: AbortSignal }`, kept on the main thread):
  //   loadModel(modelId: string, opts?): Promise<ModelInfo>
  //       fetches + checks the model package, creates the sessions; progress goes to the store
  //   compress(image: Blob, opts?): Promise<SummaryTokens>
  //       Fwd2Bot pass 1: image -> K summary tokens (K, d) fp16, stored by the caller
  //   chat(req: ChatRequest, opts?): AsyncIterable<ChatToken>
  //       pass 2 from stored tokens; tokens stream as they are decoded ('yield' messages)
  //   caption(photoId: string, opts?): Promise<string>
  //   embedText(text: string, opts?): Promise<Float32Array>   // (d,) fp32
  //   search(query: string, k: number, opts?): Promise<SearchHit[]>
}
