// The engine's InferenceBackend on onnxruntime-node (CPU). The only module that imports onnxruntime-node.
// Runs are serialised through one promise chain, like the browser's, so timings and memory stay predictable.

import * as ort from 'onnxruntime-node';
import { OrtSessionError } from '../src/gpu/errors';
import type { BackendSession, BackendTensor, InferenceBackend, NamedBackendTensors, SessionOptions } from '../src/engine/core/backend';

let tail: Promise<unknown> = Promise.resolve();
function exclusive<T>(task: () => Promise<T>): Promise<T> {
  const result = tail.then(task, task);
  tail = result.catch(() => undefined);
  return result;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * A session from the graph's bytes. Module-level on purpose: a closure inside createSession would share its
 * context with the session's methods, so V8 would keep `bytes` (the whole .onnx file) alive as long as the
 * session (measured: ~12 MiB per default model, bench/memory.bench.node.ts).
 */
function openSession(bytes: Uint8Array, threads: number, externalData?: SessionOptions['externalData']): Promise<ort.InferenceSession> {
  return exclusive(() => ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all',
    ...(externalData?.length ? { externalData: externalData.map((x) => ({ path: x.path, data: x.data })) } : {}),
  }));
}

export interface NodeBackendOptions {
  /** Intra-op threads (default 2: the machines this runs on are small and shared). */
  threads?: number;
}

export function createNodeBackend(opts: NodeBackendOptions = {}): InferenceBackend {
  const threads = opts.threads ?? 2;
  return {
    kind: 'cpu',
    fallbackReason: null,
    async createSession(bytes: Uint8Array, o: SessionOptions): Promise<BackendSession> {
      // The session's closures below must not reach `o`: it holds the external-data bytes (the whole shared
      // decoder weights), which V8 would then keep alive as long as the session (bench/memory.bench.node.ts).
      const name = o.name;
      let s: ort.InferenceSession;
      try {
        s = await openSession(bytes, threads, o.externalData);
      } catch (e) {
        throw new OrtSessionError(`Could not create a session for ${name}: ${message(e)}`, { data: { model: name, backend: 'cpu' }, cause: e });
      }
      let released = false;
      return {
        name: name,
        device: 'cpu',
        fallbackReason: null,
        inputNames: s.inputNames,
        outputNames: s.outputNames,
        run(feeds: NamedBackendTensors, fetches?: readonly string[]) {
          return exclusive(async () => {
            if (released) throw new OrtSessionError(`Session ${name} was already released.`);
            try {
              const f = feeds as unknown as Record<string, ort.Tensor>;
              const out = fetches ? await s.run(f, [...fetches]) : await s.run(f);
              return out as unknown as NamedBackendTensors;
            } catch (e) {
              throw new OrtSessionError(`Running ${name} failed: ${message(e)}`, { data: { model: name, backend: 'cpu' }, cause: e });
            }
          });
        },
        async constant(data: Float32Array, dims: readonly number[]): Promise<BackendTensor> {
          return new ort.Tensor('float32', data, dims) as unknown as BackendTensor;
        },
        release() {
          return exclusive(async () => {
            if (released) return;
            released = true;
            await s.release();
          });
        },
      };
    },
    float32(data: Float32Array, dims: readonly number[]): BackendTensor {
      return new ort.Tensor('float32', data, dims) as unknown as BackendTensor;
    },
    int64(data: BigInt64Array, dims: readonly number[]): BackendTensor {
      return new ort.Tensor('int64', data, dims) as unknown as BackendTensor;
    },
  };
}
