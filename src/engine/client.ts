// The main thread's EngineApi: forwards every call to the engine worker and mirrors status, progress and
// errors into the store, so React components only read the store and call these methods.

import { actions } from '../state/store';
import type { BackendStatus, EngineApi } from './api';
import { serializeError, WorkerCrashedError } from './errors';
import type { EngineMethods } from './protocol';
import { RpcClient } from './rpc';

export class EngineClient implements EngineApi {
  private readonly rpc: RpcClient<EngineMethods>;

  constructor(private readonly worker: Worker) {
    this.rpc = new RpcClient<EngineMethods>(worker);
    worker.addEventListener('error', (ev) => {
      const detail = ev instanceof ErrorEvent && ev.message ? ev.message : 'the worker script failed to load or threw';
      this.crash(new WorkerCrashedError(`The engine worker stopped: ${detail}.`));
    });
    worker.addEventListener('messageerror', () => {
      this.crash(new WorkerCrashedError('The engine sent a message this page could not read.'));
    });
  }

  /** Starts the engine worker (a module worker bundled by Vite). */
  static start(): EngineClient {
    const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'fwd2bot-engine' });
    return new EngineClient(worker);
  }

  async probe(): Promise<BackendStatus> {
    actions.setBackend({ kind: 'probing', progress: null });
    try {
      const status = await this.rpc.call('probe', [], {
        onProgress: (progress) => actions.setBackend({ kind: 'probing', progress }),
      });
      actions.setBackend({ kind: 'ready', status });
      return status;
    } catch (e) {
      const s = serializeError(e);
      const error = actions.pushError({ name: s.name, message: s.message, hint: s.hint, source: 'engine' });
      actions.setBackend({ kind: 'failed', error });
      throw e;
    }
  }

  terminate(): void {
    this.rpc.dispose();
    this.worker.terminate();
  }

  private crash(error: WorkerCrashedError): void {
    this.rpc.fail(error);
  }
}

let engine: EngineClient | null = null;

/** The app's engine, started on first use. */
export function getEngine(): EngineClient {
  engine ??= EngineClient.start();
  return engine;
}
