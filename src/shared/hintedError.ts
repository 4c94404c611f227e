// The one base of our named errors. Every layer's errors (gpu, model, engine, storage kernels) extend it, so
// they share one shape that crosses the worker boundary structurally: `name` (a string literal in each
// subclass: builds minify class names), `message`, `hint` (what the user can do) and small `data`.
// A leaf module: imports nothing, and every module may import it.

export interface HintedErrorOptions {
  /** What the user can do about it; shown under the message. Each class has a default. */
  hint?: string;
  /** Small, structured-cloneable facts (file name, field, adapter, limits) for display and tests. */
  data?: Record<string, unknown>;
  cause?: unknown;
}

export class HintedError extends Error {
  override readonly name: string = 'HintedError';
  readonly hint: string;
  readonly data: Record<string, unknown> | undefined;
  constructor(message: string, defaultHint: string, opts: HintedErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.hint = opts.hint ?? defaultHint;
    this.data = opts.data;
  }
}
