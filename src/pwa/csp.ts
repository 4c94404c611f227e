// The app's Content-Security-Policy, one source for the dev server, `vite preview` (both as a header, see
// vite.config.ts) and the built index.html (a <meta http-equiv>, for static hosts that cannot set headers).
//
// What the app needs, found by running it (test/e2e/csp.e2e.test.ts runs a whole session under the policy
// and fails on any violation):
// - scripts and workers only from the app's own origin: the engine worker, onnxruntime-web's wasm thread
//   workers and the service worker are same-origin scripts (the bundled onnxruntime-web 1.30 makes no blob:
//   workers: the session ran with worker-src 'self' and no violation);
// - 'wasm-unsafe-eval': onnxruntime-web compiles its .wasm in the engine worker. Without it Chromium logs
//   "wasm streaming compile failed: CompileError: WebAssembly.instantiateStreaming(): Compiling or
//   instantiating WebAssembly module violates the following Content Security policy directive because
//   'unsafe-eval' is not an allowed source of script", and the backend never gets past "Checking…";
// - connect-src 'self': the model package, the .wasm and the sample photos are fetched from the app's origin;
// - img-src blob: photos and thumbnails are shown from object URLs of the files the user added.
// Nothing inline: no inline script, no inline <style> (React sets styles through the CSSOM, which CSP allows).
//
// A <meta> policy cannot carry frame-ancestors (browsers ignore it there and log an error), so the meta
// policy is the header without it.

type Directives = Record<string, readonly string[]>;

const base: Directives = {
  'default-src': ["'self'"],
  'script-src': ["'self'", "'wasm-unsafe-eval'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'blob:'],
  'connect-src': ["'self'"],
  'worker-src': ["'self'"],
  'manifest-src': ["'self'"],
  'font-src': ["'none'"],
  'media-src': ["'none'"],
  'object-src': ["'none'"],
  'frame-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
};

function serialize(d: Directives): string {
  return Object.entries(d).map(([k, v]) => `${k} ${v.join(' ')}`).join('; ');
}

/** The production policy, sent as a header by `vite preview` (and any server configured like it). */
export const productionCsp = serialize({ ...base, 'frame-ancestors': ["'none'"] });

/** The same policy for a <meta http-equiv="Content-Security-Policy"> in the built index.html. */
export const metaCsp = serialize(base);

/**
 * The dev server's policy. Looser on purpose, and only in dev: Vite serves the React Fast Refresh preamble as
 * an inline <script type="module"> and injects every CSS file as an inline <style> element, so dev needs
 * 'unsafe-inline' for scripts and styles. The HMR WebSocket is same-origin (ws: to the same host and port),
 * which 'self' covers. Everything else is the production policy.
 */
export const devCsp = serialize({
  ...base,
  'script-src': [...base['script-src'], "'unsafe-inline'"],
  'style-src': [...base['style-src'], "'unsafe-inline'"],
  'frame-ancestors': ["'none'"],
});
