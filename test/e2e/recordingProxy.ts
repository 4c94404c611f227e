// An HTTP proxy for E2E tests that records every request a browser context sends to the network. The context
// is created with `proxy: recorder.contextProxy` (bypass "<-loopback>" makes even 127.0.0.1 go through it),
// so whatever the pages, their workers, onnxruntime-web's threads and the service worker of that context
// fetch from the network passes here, whichever of them sent it. The browser's own background traffic
// (component updates, sign-in) uses the browser's default network context and never reaches it; the
// browser's Autofill server queries belong to the profile and do, so tests that use this launch Chromium
// with BROWSER_SERVICES_OFF. A request answered from the HTTP cache or by the service worker's Cache
// Storage never reaches the proxy.
//
// Requests to `allowedOrigin` are forwarded to it; every other request is recorded and refused (the socket is
// closed), and HTTPS (CONNECT) tunnels are recorded by host and refused too. With `offline` set, the allowed
// origin is refused as well: the network is off on the wire, not only in the browser's emulation.
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  /** Absolute URL (for CONNECT: "https://host:port"). */
  url: string;
  method: string;
  /** performance.now() in the test process. */
  at: number;
}

export interface RecordingProxy {
  /** e.g. http://127.0.0.1:40123 */
  readonly url: string;
  /** For browser.newContext({ proxy }): everything, loopback included, goes through this proxy. */
  readonly contextProxy: { server: string; bypass: string };
  readonly requests: ProxiedRequest[];
  /**
   * The network cable pulled: while true every request is recorded and refused, the allowed origin's too.
   * Playwright's context.setOffline emulates offline for pages and workers, but not for requests the
   * browser makes itself (the service worker's update check of its script), so offline tests set both.
   */
  offline: boolean;
  close(): Promise<void>;
}

/**
 * Chromium flags that turn off the browser's own Google services that a profile uses while a page is open
 * (Autofill asks its server about the fields of every form). They are the browser's, not the app's: the
 * app cannot reach them (its CSP allows only its own origin).
 */
export const BROWSER_SERVICES_OFF = ['--disable-features=AutofillServerCommunication'];

const HOP_BY_HOP = ['connection', 'proxy-connection', 'keep-alive', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade'];

function forwardHeaders(h: IncomingHttpHeaders): IncomingHttpHeaders {
  const out = { ...h };
  for (const k of HOP_BY_HOP) delete out[k];
  return out;
}

export async function startRecordingProxy(allowedOrigin: string): Promise<RecordingProxy> {
  const allowed = new URL(allowedOrigin).origin;
  const requests: ProxiedRequest[] = [];
  const server = createServer((req, res) => {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      requests.push({ url: String(req.url), method: req.method ?? 'GET', at: performance.now() });
      res.writeHead(400).end('not an absolute-form proxy request');
      return;
    }
    requests.push({ url: target.href, method: req.method ?? 'GET', at: performance.now() });
    if (target.origin !== allowed || proxy.offline) {
      req.socket.destroy();
      return;
    }
    const upstream = httpRequest({
      host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method,
      headers: forwardHeaders(req.headers),
    }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.statusMessage, forwardHeaders(up.headers));
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req, socket) => {
    requests.push({ url: `https://${req.url}`, method: 'CONNECT', at: performance.now() });
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const proxy: RecordingProxy = {
    url,
    contextProxy: { server: url, bypass: '<-loopback>' },
    requests,
    offline: false,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
  return proxy;
}
