// Named errors of the engine, and their trip across the worker boundary.
//
// Every class takes `(message, { hint, data })` and has a default `hint` that tells the user what to do.
// `serializeError` turns any thrown value into a plain SerializedError (structured-cloneable);
// `deserializeError` re-creates the same class on the other side (by `name`), with message, hint and data,
// and appends the worker's stack to the local one. Unknown names come back as RemoteError (name kept).

import {
  DeviceLostError, OrtSessionError, ShaderF16SupportError, WebGPUNotAvailableError, type HintedErrorOptions,
} from '../gpu/errors';
import { ImageDecodeError, ModelFormatError, ModelLoadError } from '../model/errors';
import { HintedError } from '../shared/hintedError';
import type { SerializedError } from './protocol';

export { DeviceLostError, OrtSessionError, ShaderF16SupportError, WebGPUNotAvailableError, type HintedErrorOptions };
// The model layer's errors (package files, manifest, tokenizer, image decoding) live in src/model/errors.ts.
export { ImageDecodeError, ModelFormatError, ModelLoadError };

/** Base of the engine's own errors (same shape as the GPU layer's GpuError). */
export class EngineError extends HintedError {
  override readonly name: string = 'EngineError';
}

/** The browser refused to store more (IndexedDB / Cache quota). */
export class QuotaExceededError extends EngineError {
  override readonly name = 'QuotaExceededError';
  static readonly defaultHint =
    'Free space: delete photos or models you no longer need, or allow this site more storage in the browser settings.';
  constructor(message = 'The browser has no more storage space for this site.', opts?: HintedErrorOptions) {
    super(message, QuotaExceededError.defaultHint, opts);
  }
}

/** The engine worker failed to start or died; pending calls fail with this. */
export class WorkerCrashedError extends EngineError {
  override readonly name = 'WorkerCrashedError';
  static readonly defaultHint =
    'Reload the page. If it happens again, the browser may be out of memory: close other tabs.';
  constructor(message = 'The engine stopped unexpectedly.', opts?: HintedErrorOptions) {
    super(message, WorkerCrashedError.defaultHint, opts);
  }
}

/** A call that needs a model came before loadModel() finished (or after it failed). */
export class ModelNotLoadedError extends EngineError {
  override readonly name = 'ModelNotLoadedError';
  static readonly defaultHint = 'Load a model first (wait until loading finishes), then try again.';
  constructor(message = 'No model is loaded.', opts?: HintedErrorOptions) {
    super(message, ModelNotLoadedError.defaultHint, opts);
  }
}

/** Stored summary tokens do not fit the loaded model (another model id, another d, or K' not supported). */
export class TokenMismatchError extends EngineError {
  override readonly name = 'TokenMismatchError';
  static readonly defaultHint =
    'Re-index the photo with the model that is loaded now (or load the model it was indexed with).';
  constructor(message = 'The stored summary tokens do not belong to the loaded model.', opts?: HintedErrorOptions) {
    super(message, TokenMismatchError.defaultHint, opts);
  }
}

/** The sequence would be longer than the model's maxPositions (a very long chat). */
export class ContextFullError extends EngineError {
  override readonly name = 'ContextFullError';
  static readonly defaultHint = 'Start a new chat about this photo: the conversation is longer than the model can read.';
  constructor(message = 'The conversation is longer than the model can read.', opts?: HintedErrorOptions) {
    super(message, ContextFullError.defaultHint, opts);
  }
}

/** A thrown value whose class this side does not know; `name` is the remote class name. */
export class RemoteError extends EngineError {
  override name = 'RemoteError'; // replaced by the remote class name on deserialisation
  static readonly defaultHint =
    'Try again; if it persists, report the message.';
  constructor(message = 'The engine reported an error.', opts?: HintedErrorOptions) {
    super(message, RemoteError.defaultHint, opts);
  }
}

// Any Error subclass; revived without calling its constructor, so any constructor signature works.
type ErrorClass = abstract new (...args: never[]) => Error;

/** Classes re-created by name. Keys are the `name` strings (class names are minified in builds). */
const registry = new Map<string, ErrorClass>(Object.entries({
  WebGPUNotAvailableError, DeviceLostError, ShaderF16SupportError, OrtSessionError,
  ModelLoadError, ModelFormatError, ImageDecodeError, QuotaExceededError, WorkerCrashedError,
  ModelNotLoadedError, TokenMismatchError, ContextFullError,
}));

/** Lets another module (e.g. storage) have its named errors re-created as their class on the main thread. */
export function registerErrorClass(name: string, ctor: ErrorClass): void {
  registry.set(name, ctor);
}

/** An instance of `ctor` carrying the remote name, message, hint and data (constructor not called). */
function revive(ctor: ErrorClass, s: SerializedError): Error {
  const err = Object.create(ctor.prototype) as Error & { hint?: string; data?: Record<string, unknown> };
  const own = (value: unknown) => ({ value, writable: true, configurable: true, enumerable: false });
  const hint = s.hint ?? (ctor as { defaultHint?: string }).defaultHint;
  Object.defineProperties(err, { name: own(s.name), message: own(s.message), data: own(s.data) });
  if (hint !== undefined) Object.defineProperty(err, 'hint', own(hint));
  const capture = (Error as { captureStackTrace?: (target: object) => void }).captureStackTrace;
  if (capture) capture(err);
  else err.stack = `${s.name}: ${s.message}`;
  return err;
}

const builtins: Record<string, new (message?: string) => Error> = {
  Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError,
};

function cloneable(data: unknown): Record<string, unknown> | undefined {
  if (!data || typeof data !== 'object') return undefined;
  try {
    return structuredClone(data) as Record<string, unknown>;
  } catch {
    return undefined; // e.g. holds a GPUDevice; the message still says what happened
  }
}

/** Any thrown value -> a plain SerializedError. */
export function serializeError(e: unknown): SerializedError {
  if (e instanceof Error || e instanceof DOMException) {
    const hinted = e as Error & { hint?: unknown; data?: unknown };
    const out: SerializedError = { name: e.name, message: e.message };
    if (typeof hinted.hint === 'string') out.hint = hinted.hint;
    const data = cloneable(hinted.data);
    if (data) out.data = data;
    if (e.stack) out.stack = e.stack;
    return out;
  }
  return { name: 'Error', message: typeof e === 'string' ? e : `Non-error value thrown: ${String(e)}` };
}

/** A SerializedError -> an Error of the same class where this side knows it. */
export function deserializeError(s: SerializedError): Error {
  let err: Error;
  const named = registry.get(s.name);
  if (named) {
    err = revive(named, s);
  } else if (s.name === 'AbortError') {
    err = new DOMException(s.message, 'AbortError');
  } else if (builtins[s.name]) {
    err = new builtins[s.name](s.message);
  } else {
    err = new RemoteError(s.message, { hint: s.hint, data: s.data });
    err.name = s.name;
  }
  if (s.stack && !(err instanceof DOMException)) err.stack = `${err.stack ?? ''}\n--- thrown in the worker ---\n${s.stack}`;
  return err;
}

/** What the UI shows for any error: name, message and what to do. */
export function hintOf(e: unknown): string | undefined {
  const hint = (e as { hint?: unknown } | null)?.hint;
  return typeof hint === 'string' ? hint : undefined;
}
