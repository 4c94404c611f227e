// Named errors thrown by the GPU layer. Each message says what happened; `hint` says what the user can do.
//
// The GPU layer may not import the engine (dependencies point down), so these classes carry their own
// small base. The engine's error registry (src/engine/errors.ts) knows them by `name` and re-creates
// them on the main thread with the same class, message, hint and data.

import { HintedError, type HintedErrorOptions } from '../shared/hintedError';

export type { HintedErrorOptions };

/** Base of the GPU layer's errors: `(message, { hint, data })`, the constructor signature the registry uses. */
export class GpuError extends HintedError {
  override readonly name: string = 'GpuError';
}

export class WebGPUNotAvailableError extends GpuError {
  override readonly name = 'WebGPUNotAvailableError';
  static readonly defaultHint =
    'Use a recent Chrome or Edge with WebGPU. On Linux, start Chrome with --enable-unsafe-webgpu or use a supported GPU. '
    + 'The app still works on the CPU (wasm), only slower.';
  constructor(message = 'WebGPU is not available in this browser.', opts?: HintedErrorOptions) {
    super(message, WebGPUNotAvailableError.defaultHint, opts);
  }
}

export class DeviceLostError extends GpuError {
  override readonly name = 'DeviceLostError';
  static readonly defaultHint =
    'The GPU was reset or its driver crashed. The app restarts the model on a new GPU device (or on the CPU) by itself: '
    + 'try again. If it keeps happening, close other GPU-heavy tabs or reload the page.';
  constructor(message = 'The WebGPU device was lost.', opts?: HintedErrorOptions) {
    super(message, DeviceLostError.defaultHint, opts);
  }
}

export class ShaderF16SupportError extends GpuError {
  override readonly name = 'ShaderF16SupportError';
  static readonly defaultHint =
    'This GPU has no shader-f16 support. Use the fp32 model variant, or a browser/GPU that supports shader-f16.';
  constructor(message = 'This model needs 16-bit float shaders (shader-f16), which this GPU lacks.', opts?: HintedErrorOptions) {
    super(message, ShaderF16SupportError.defaultHint, opts);
  }
}

/** ONNX Runtime refused to create or run a session (bad graph, unsupported op, out of memory). */
export class OrtSessionError extends GpuError {
  override readonly name = 'OrtSessionError';
  static readonly defaultHint =
    'The model file may be damaged or made for a newer runtime. Re-download the model; if it persists, report the message.';
  constructor(message = 'ONNX Runtime could not create or run a session.', opts?: HintedErrorOptions) {
    super(message, OrtSessionError.defaultHint, opts);
  }
}
