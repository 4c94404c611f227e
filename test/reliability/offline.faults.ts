// Offline, privacy and hardening faults (issue #10): the service worker (src/pwa/serviceWorker.ts), the
// Content-Security-Policy (src/pwa/csp.ts) and text from outside the app rendered as text.
import type { Fault } from './registry';

const OFFLINE = 'test/e2e/offline.e2e.test.ts';
const SECURITY = 'test/e2e/security.e2e.test.ts';
const MARKUP = 'src/ui/markupAsText.browser.test.tsx';

export const faults: Fault[] = [
  {
    id: 'network-off-after-first-visit',
    area: 'Offline',
    fault: 'The network is off after one online visit (the page is reloaded offline)',
    outcome: 'The service worker serves the app shell and the model package from its caches: the app and the model load, an indexed photo gets the same answer as online and search works; nothing reaches the network',
    test: { file: OFFLINE, name: 'network off: a reload shows the app, loads the model from the cache and answers a question about an indexed photo' },
  },
  {
    id: 'model-saved-on-first-visit',
    area: 'Offline',
    fault: 'The model loaded on the first visit, before the service worker controlled the page',
    outcome: 'The page asks the service worker to save the package once the model is ready: every listed file (checked against the manifest) and the manifest are cached, with the app shell (index.html, chunks, engine worker, onnxruntime-web wasm, web app manifest, icons)',
    test: { file: OFFLINE, name: 'first visit online: the service worker saves the app shell and every file of the model package' },
  },
  {
    id: 'cached-model-file-damaged-offline',
    area: 'Offline',
    fault: 'A cached model file is damaged (one byte flipped) and the network is off',
    outcome: 'The service worker checks its sha256 against the manifest, evicts it and answers 503; the model status names the file, says the saved copy was damaged and to connect to the network to download it again',
    test: { file: OFFLINE, name: 'offline, a cached model file with a wrong sha256 is evicted and the model status names it and says to connect' },
  },
  {
    id: 'evicted-model-file-refetched',
    area: 'Offline',
    fault: 'The network comes back after a damaged cached file was evicted',
    outcome: 'The next load downloads the file again, the service worker checks it against the manifest and saves it; the model loads',
    test: { file: OFFLINE, name: 'back online, the evicted file is downloaded again, checked and saved; the model loads' },
  },
  {
    id: 'cached-model-file-damaged-online',
    area: 'Offline',
    fault: 'A cached model file is damaged while the network is on',
    outcome: 'Detected by sha256 when served, evicted and downloaded again; the app only sees the good copy and the model loads',
    test: { file: OFFLINE, name: 'online, a cached model file with a wrong sha256 is detected, evicted and downloaded again before the app sees it' },
  },
  {
    id: 'model-folder-offline',
    area: 'Offline',
    fault: 'A model package folder is picked from disk with the network off',
    outcome: 'It loads from the local files; no request is made',
    test: { file: OFFLINE, name: 'offline, a model folder picked from disk loads without any request' },
  },
  {
    id: 'new-app-version-shell-cache',
    area: 'Offline',
    fault: 'A new app version (a new service worker) activates while an older shell cache exists',
    outcome: 'The old shell caches are deleted, one current shell cache remains; the saved model files are kept',
    test: { file: OFFLINE, name: 'a new service worker version deletes the shell caches of older versions' },
  },
  {
    id: 'request-to-another-origin',
    area: 'Privacy and hardening',
    fault: 'Any request outside the app origin during a whole session (load, index, ask, search)',
    outcome: 'None is made: a recording proxy that every browser request passes through sees only the app origin, and Playwright sees none from the page, its workers or the service worker',
    test: { file: SECURITY, name: 'no request of the whole session left the app origin (page, workers, service worker)' },
  },
  {
    id: 'cross-origin-fetch-blocked',
    area: 'Privacy and hardening',
    fault: 'Script in the page tries a cross-origin fetch or adds an inline event handler',
    outcome: "Blocked by the CSP (connect-src 'self', no 'unsafe-inline') and reported as violations; the handler does not run",
    test: { file: SECURITY, name: 'the recorders work: an injected inline handler and a cross-origin fetch are blocked and reported, another origin shows on the wire' },
  },
  {
    id: 'csp-header-missing',
    area: 'Privacy and hardening',
    fault: 'The production server or a static host serves the app without the policy',
    outcome: "vite preview sends the strict CSP with COOP/COEP on every response (page, scripts, sw.js); the built index.html carries the same policy as a <meta> before any script",
    test: { file: SECURITY, name: 'the production server sends the strict CSP (and COOP/COEP) on every response; index.html carries it as a <meta>' },
  },
  {
    id: 'csp-violation-in-session',
    area: 'Privacy and hardening',
    fault: 'Something the app or onnxruntime-web does needs more than the policy allows',
    outcome: 'A whole session runs with zero CSP violations in the page, the engine worker and the service worker',
    test: { file: SECURITY, name: 'a question gets an answer and a search ranks the photos, with zero CSP violations' },
  },
  {
    id: 'markup-in-file-name',
    area: 'Privacy and hardening',
    fault: 'A photo file named <img src=x onerror=alert(1)>.png',
    outcome: 'Its name shows as text in the gallery, the photo view and the search results; no element is injected, no dialog opens, no violation',
    test: { file: SECURITY, name: 'a file named <img src=x onerror=alert(1)>.png is shown as text: no element is injected, nothing runs' },
  },
  {
    id: 'markup-in-model-output',
    area: 'Privacy and hardening',
    fault: 'Model answers, captions, a model name and a question that contain markup (split across streamed pieces)',
    outcome: 'All shown as text: no element is injected, no handler runs',
    test: { file: MARKUP, name: 'file names, model names, questions, answers and captions with markup are rendered as text' },
  },
];
