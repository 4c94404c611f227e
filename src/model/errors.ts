// Named errors of the model layer (package files, manifest, tokenizer, images). Pure: no DOM, no Node.
//
// Same shape as the GPU layer's errors (`(message, { hint, data })`, a default hint that says what to do,
// names as string literals because builds minify class names), so src/engine/errors.ts can revive them by
// name on the main thread. The base is src/shared/hintedError.ts, the one leaf module model imports.

import { HintedError, type HintedErrorOptions } from '../shared/hintedError';

export type ModelErrorOptions = HintedErrorOptions;

export class ModelError extends HintedError {
  override readonly name: string = 'ModelError';
}

/** The model could not be fetched or read (network, storage); the file itself may be fine. */
export class ModelLoadError extends ModelError {
  override readonly name = 'ModelLoadError';
  static readonly defaultHint =
    'Check the connection and free disk space, then try loading the model again.';
  constructor(message = 'The model could not be loaded.', opts?: ModelErrorOptions) {
    super(message, ModelLoadError.defaultHint, opts);
  }
}

/** A model file is not what it should be (wrong size or checksum, bad manifest field, unsupported tokenizer). */
export class ModelFormatError extends ModelError {
  override readonly name = 'ModelFormatError';
  static readonly defaultHint =
    'Delete the downloaded model and download it again; if you picked the file yourself, choose the model package folder.';
  constructor(message = 'A model file is damaged or of the wrong kind.', opts?: ModelErrorOptions) {
    super(message, ModelFormatError.defaultHint, opts);
  }
  /** `"file" is not a valid model file: detail`, with `data.file`. */
  static forFile(file: string, detail: string, opts: ModelErrorOptions = {}): ModelFormatError {
    return new ModelFormatError(`"${file}" is not a valid model file: ${detail}`, { ...opts, data: { file, ...opts.data } });
  }
  /** A manifest field is missing or wrong: names the field path (e.g. `fwd2bot.nestedK[2]`). */
  static forField(field: string, detail: string, opts: ModelErrorOptions = {}): ModelFormatError {
    return new ModelFormatError(`"manifest.json" is not a valid model file: field "${field}" ${detail}`, {
      ...opts, data: { file: 'manifest.json', field, ...opts.data },
    });
  }
}

/** An image could not be decoded (format unsupported, file damaged, zero size). */
export class ImageDecodeError extends ModelError {
  override readonly name = 'ImageDecodeError';
  static readonly defaultHint =
    'Use a JPEG, PNG or WebP file; convert other formats (e.g. HEIC) first.';
  constructor(message = 'The image could not be decoded.', opts?: ModelErrorOptions) {
    super(message, ImageDecodeError.defaultHint, opts);
  }
}
