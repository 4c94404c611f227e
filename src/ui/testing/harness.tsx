// UI test harness (browser tests only): a fresh library per test, the app started with a FakeEngine, a
// component mounted into the real DOM, and small DOM helpers (no testing-library in this project).

import { deleteDB } from 'idb';
import type { ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { flushSync } from 'react-dom';
import { startApp, stopApp } from '../../app/start';
import { services } from '../../app/services';
import { actions } from '../../state/store';
import { chatActions } from '../../state/chat';
import { importsActions } from '../../state/imports';
import { searchActions } from '../../state/search';
import { viewActions } from '../../state/view';
import { dropSearchCache } from '../../app/search';
import { FakeEngine, type FakeEngineOptions } from './fakeEngine';

export interface Harness {
  engine: FakeEngine;
  container: HTMLElement;
  render(node: ReactNode): void;
  cleanup(): Promise<void>;
}

let libraries: string[] = [];

/** Starts the app on a fresh database with a FakeEngine (its model loaded unless `model: false`). */
export async function setup(opts: FakeEngineOptions & { model?: boolean; paused?: boolean } = {}): Promise<Harness> {
  const engine = new FakeEngine(opts);
  const name = `ui-test-${crypto.randomUUID()}`;
  libraries.push(name);
  let paused = opts.paused ?? false;
  await startApp({
    engine, libraryName: name, renewEveryMs: 200,
    model: opts.model === false ? null : { kind: 'url', url: '/test/fixtures/tiny-package/' },
    pauseMemory: { get: () => paused, set: (p) => { paused = p; } },
  });
  const container = document.createElement('div');
  document.body.append(container);
  let root: Root | null = null;
  return {
    engine,
    container,
    render(node) {
      root ??= createRoot(container);
      flushSync(() => root!.render(node));
    },
    async cleanup() {
      root?.unmount();
      container.remove();
      await services.runner?.settled();
      stopApp();
      actions.reset();
      chatActions.reset();
      importsActions.reset();
      searchActions.reset();
      viewActions.reset();
      dropSearchCache();
      for (const n of libraries) await deleteDB(n);
      libraries = [];
    },
  };
}

/** Polls until `check` returns a truthy value (or throws its last error after `timeoutMs`). */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const end = performance.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
      last = new Error('condition still false');
    } catch (e) {
      last = e;
    }
    if (performance.now() > end) throw last instanceof Error ? last : new Error(String(last));
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The element matching `selector` inside `root`; throws naming the selector when absent. */
export function $<E extends Element = HTMLElement>(root: ParentNode, selector: string): E {
  const el = root.querySelector<E>(selector);
  if (!el) throw new Error(`no element matches ${selector}`);
  return el;
}

/** The button whose text (or aria-label) is `label`. */
export function button(root: ParentNode, label: string | RegExp): HTMLButtonElement {
  const all = [...root.querySelectorAll<HTMLButtonElement>('button')];
  const hit = all.find((b) => {
    const text = (b.getAttribute('aria-label') ?? b.textContent ?? '').trim();
    return typeof label === 'string' ? text === label : label.test(text);
  });
  if (!hit) throw new Error(`no button labelled ${String(label)} (have: ${all.map((b) => b.textContent).join(' | ')})`);
  return hit;
}

/** Sets an input's value the way React notices, then fires input/change. */
export function typeInto(input: HTMLInputElement | HTMLTextAreaElement, value: string): void {
  const proto = input instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
  Object.getOwnPropertyDescriptor(proto, 'value')!.set!.call(input, value);
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

/** A solid-colour PNG file. */
export async function colourPng(colour: string, name: string, size = 48): Promise<File> {
  const c = new OffscreenCanvas(size, size);
  const ctx = c.getContext('2d')!;
  ctx.fillStyle = colour;
  ctx.fillRect(0, 0, size, size);
  const blob = await c.convertToBlob({ type: 'image/png' });
  return new File([blob], name, { type: 'image/png' });
}

/** A JPEG cut to `fraction` of its length (no end marker). */
export async function truncatedJpeg(name: string): Promise<File> {
  const c = new OffscreenCanvas(64, 64);
  const ctx = c.getContext('2d')!;
  ctx.fillStyle = '#3a7';
  ctx.fillRect(0, 0, 64, 64);
  ctx.fillStyle = '#a37';
  ctx.fillRect(8, 8, 30, 40);
  const bytes = new Uint8Array(await (await c.convertToBlob({ type: 'image/jpeg', quality: 0.9 })).arrayBuffer());
  return new File([bytes.subarray(0, Math.floor(bytes.length * 0.6))], name, { type: 'image/jpeg' });
}
