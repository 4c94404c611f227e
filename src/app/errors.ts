// Named errors of the app layer. Names are string literals (builds minify class names); each message says
// what to do.

/** An action came before the library or the engine was ready. */
export class AppNotReadyError extends Error {
  override readonly name = 'AppNotReadyError';
  readonly hint = 'Wait until the page has finished starting, then try again.';
}

/** An action needs a loaded model. */
export class NoModelError extends Error {
  override readonly name = 'NoModelError';
  readonly hint = 'Wait for the model to finish loading, or load a model package in Settings.';
  constructor(message = 'No model is loaded yet.') {
    super(message);
  }
}

/** The engine in this build does not offer something the app asked for. */
export class EngineFeatureMissingError extends Error {
  override readonly name = 'EngineFeatureMissingError';
  readonly hint = 'This build of the engine cannot do this yet; update the app.';
  constructor(readonly feature: string) {
    super(`The engine cannot ${feature} yet.`);
  }
}

/** The photo has no summary tokens for the loaded model (not indexed yet, failed, or indexed by another model). */
export class NotIndexedError extends Error {
  override readonly name = 'NotIndexedError';
  readonly hint = 'Wait until the photo is indexed (or re-index it with the loaded model), then ask again.';
  constructor(status: string) {
    super(`This photo has no summary tokens for the loaded model (its status is "${status}").`);
  }
}
