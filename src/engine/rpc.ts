// Generic typed RPC over postMessage (a Worker, a worker's global scope, or a MessagePort).
//
//   worker side:  serve<M>(self, { method: async (ctx, ...args) => value, stream: async function* (ctx) {...} })
//   main side:    const rpc = new RpcClient<M>(worker); await rpc.call('method', [args], { signal, onProgress })
//                 for await (const v of rpc.stream('stream', [args], { signal })) ...
//
// `M` is an interface of methods returning Promise<R> (one reply) or AsyncIterable<Y> (a stream). Handlers
// get a context first: `signal` (aborted when the client cancels) and `progress()`. Wrap a value in
// `transfer(value, [buffers])` to move ArrayBuffers instead of copying them (either direction).

import { deserializeError, serializeError, WorkerCrashedError } from './errors';
import type { ClientMessage, EventMessage, Progress, RequestId, ServerMessage } from './protocol';

/** What both ends need: a Worker, DedicatedWorkerGlobalScope or MessagePort (call `start()` on a port). */
export interface Endpoint {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (ev: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (ev: MessageEvent) => void): void;
}

/** A value plus the buffers to move with it. */
export class Transfer<T> {
  constructor(readonly value: T, readonly transferables: Transferable[]) {}
}
export function transfer<T>(value: T, transferables: Transferable[]): Transfer<T> {
  return new Transfer(value, transferables);
}
function unwrap(v: unknown): [unknown, Transferable[]] {
  return v instanceof Transfer ? [v.value, v.transferables] : [v, []];
}

// ---- method-map typing ----

type AnyFn = (...args: any[]) => unknown;
type Args<F> = F extends (...args: infer A) => unknown ? A : never;
export type UnaryKeys<M> = { [K in keyof M]: M[K] extends (...a: never[]) => Promise<unknown> ? K : never }[keyof M] & string;
export type StreamKeys<M> = { [K in keyof M]: M[K] extends (...a: never[]) => AsyncIterable<unknown> ? K : never }[keyof M] & string;
type Resolved<F> = F extends (...a: never[]) => Promise<infer R> ? R : never;
type Yielded<F> = F extends (...a: never[]) => AsyncIterable<infer Y> ? Y : never;

export interface HandlerContext {
  /** Aborted when the client cancels the call. */
  readonly signal: AbortSignal;
  /** Reports progress to the caller; `timeElapsed` is filled in. */
  progress(p: Omit<Progress, 'timeElapsed'>): void;
}

export type Handlers<M> = {
  [K in keyof M]: M[K] extends (...a: infer A) => AsyncIterable<infer Y>
    ? (ctx: HandlerContext, ...args: A) => AsyncIterable<Y | Transfer<Y>>
    : M[K] extends (...a: infer A) => Promise<infer R>
      ? (ctx: HandlerContext, ...args: A) => Promise<R | Transfer<R>> | R | Transfer<R>
      : never;
};

// ---- server ----

function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return typeof v === 'object' && v !== null && Symbol.asyncIterator in v && !(v instanceof Transfer);
}

/** Answers calls arriving on `endpoint` with `handlers`. Returns a function that stops serving. */
export function serve<M>(endpoint: Endpoint, handlers: Handlers<M>): () => void {
  const running = new Map<RequestId, AbortController>();
  const post = (msg: ServerMessage, t: Transferable[] = []) => endpoint.postMessage(msg, t);

  async function handle(id: RequestId, method: string, args: unknown[]): Promise<void> {
    const abort = new AbortController();
    running.set(id, abort);
    const started = performance.now();
    const ctx: HandlerContext = {
      signal: abort.signal,
      progress: (p) => { if (!abort.signal.aborted) post({ kind: 'progress', id, progress: { ...p, timeElapsed: performance.now() - started } }); },
    };
    try {
      const fn = (handlers as Record<string, AnyFn | undefined>)[method];
      if (typeof fn !== 'function') throw new TypeError(`The engine has no method "${method}".`);
      const result = fn(ctx, ...args);
      if (isAsyncIterable(result)) {
        for await (const item of result) {
          if (abort.signal.aborted) break; // leaving the loop calls the generator's return()
          const [value, t] = unwrap(item);
          post({ kind: 'yield', id, value }, t);
        }
        abort.signal.throwIfAborted();
        post({ kind: 'return', id, value: undefined });
      } else {
        const [value, t] = unwrap(await result);
        post({ kind: 'return', id, value }, t);
      }
    } catch (e) {
      post({ kind: 'throw', id, error: serializeError(e) });
    } finally {
      running.delete(id);
    }
  }

  const onMessage = (ev: MessageEvent) => {
    const msg = ev.data as ClientMessage;
    if (msg?.kind === 'call') void handle(msg.id, msg.method, msg.args);
    else if (msg?.kind === 'cancel') running.get(msg.id)?.abort(new DOMException('The call was cancelled.', 'AbortError'));
  };
  endpoint.addEventListener('message', onMessage);
  return () => {
    endpoint.removeEventListener('message', onMessage);
    for (const a of running.values()) a.abort(new DOMException('The server stopped.', 'AbortError'));
  };
}

/** Sends news that belongs to no request (a protocol 'event'); clients hear it through RpcClient.onEvent. */
export function postEvent(endpoint: Endpoint, event: unknown): void {
  endpoint.postMessage({ kind: 'event', event: event as EventMessage['event'] } satisfies ServerMessage, []);
}

// ---- client ----

export interface CallOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Buffers among the args to move to the worker instead of copying (they become detached here). */
  transfer?: Transferable[];
}

interface Pending {
  onProgress?: (p: Progress) => void;
  onYield?: (value: unknown) => void;
  resolve(value: unknown): void;
  reject(error: Error): void;
  /** Drops the abort listener; set by start(). */
  cleanup?(): void;
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('The call was cancelled.', 'AbortError');
}

export class RpcClient<M> {
  private nextId = 1;
  private readonly pending = new Map<RequestId, Pending>();
  private dead: Error | null = null;
  private readonly eventListeners = new Set<(event: unknown) => void>();
  private readonly onMessage = (ev: MessageEvent) => this.receive(ev.data as ServerMessage);

  constructor(private readonly endpoint: Endpoint) {
    endpoint.addEventListener('message', this.onMessage);
  }

  /** Calls a method that replies once. */
  call<K extends UnaryKeys<M>>(method: K, args: Args<M[K]>, opts: CallOptions = {}): Promise<Resolved<M[K]>> {
    return new Promise((resolve, reject) => {
      this.start(method, args, opts, { onProgress: opts.onProgress, resolve: resolve as (v: unknown) => void, reject });
    });
  }

  /** Calls a streaming method; values arrive as the worker yields them. Breaking out of the loop cancels. */
  stream<K extends StreamKeys<M>>(method: K, args: Args<M[K]>, opts: CallOptions = {}): AsyncIterableIterator<Yielded<M[K]>> {
    const queue: unknown[] = [];
    let waiting: { resolve(r: IteratorResult<Yielded<M[K]>>): void; reject(e: Error): void } | null = null;
    let finished = false;
    let failure: Error | null = null;
    const settle = () => {
      if (!waiting) return;
      const w = waiting;
      if (queue.length) { waiting = null; w.resolve({ value: queue.shift() as Yielded<M[K]>, done: false }); }
      else if (failure) { waiting = null; w.reject(failure); }
      else if (finished) { waiting = null; w.resolve({ value: undefined, done: true }); }
    };
    const id = this.start(method, args, opts, {
      onProgress: opts.onProgress,
      onYield: (v) => { queue.push(v); settle(); },
      resolve: () => { finished = true; settle(); },
      reject: (e) => { failure = e; settle(); },
    });
    const iterator: AsyncIterableIterator<Yielded<M[K]>> = {
      next: () => new Promise((resolve, reject) => { waiting = { resolve, reject }; settle(); }),
      return: async () => {
        if (!finished && !failure) this.cancel(id);
        finished = true;
        queue.length = 0;
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() { return iterator; },
    };
    return iterator;
  }

  /** Calls `cb` with every event the server posts (postEvent). Returns an unsubscribe function. */
  onEvent(cb: (event: unknown) => void): () => void {
    this.eventListeners.add(cb);
    return () => this.eventListeners.delete(cb);
  }

  /** Fails every pending and future call with `error` (e.g. the worker crashed). */
  fail(error: Error): void {
    this.dead = error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  dispose(): void {
    this.endpoint.removeEventListener('message', this.onMessage);
    this.fail(new WorkerCrashedError('The engine was shut down.'));
  }

  private start(method: string, args: unknown[], opts: CallOptions, p: Pending): RequestId {
    const id = this.nextId++;
    if (this.dead) { p.reject(this.dead); return id; }
    const { signal } = opts;
    if (signal?.aborted) { p.reject(abortReason(signal)); return id; }
    const onAbort = () => { this.cancel(id); p.reject(abortReason(signal!)); };
    signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = () => signal?.removeEventListener('abort', onAbort);
    this.pending.set(id, {
      ...p,
      resolve: (v) => { cleanup(); p.resolve(v); },
      reject: (e) => { cleanup(); p.reject(e); },
      cleanup,
    });
    try {
      this.endpoint.postMessage({ kind: 'call', id, method, args } satisfies ClientMessage, opts.transfer ?? []);
    } catch (e) {
      this.pending.get(id)?.reject(e instanceof Error ? e : new Error(String(e))); // e.g. DataCloneError
      this.pending.delete(id);
    }
    return id;
  }

  private cancel(id: RequestId): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.cleanup?.();
    this.endpoint.postMessage({ kind: 'cancel', id } satisfies ClientMessage, []);
  }

  private receive(msg: ServerMessage): void {
    if (msg?.kind === 'event') {
      for (const cb of this.eventListeners) cb(msg.event);
      return;
    }
    const p = this.pending.get(msg?.id);
    if (!p) return; // cancelled, or not ours
    switch (msg.kind) {
      case 'progress': p.onProgress?.(msg.progress); break;
      case 'yield': p.onYield?.(msg.value); break;
      case 'return': this.pending.delete(msg.id); p.resolve(msg.value); break;
      case 'throw': this.pending.delete(msg.id); p.reject(deserializeError(msg.error)); break;
    }
  }
}
