// The typed worker RPC (src/engine/rpc.ts) against a real module worker (fixtures/rpcWorker.ts):
// return, progress, named errors re-created as their class, transfers both ways, streams, cancellation.
import { afterAll, describe, expect, test } from 'vitest';
import { ModelFormatError, RemoteError } from '../../src/engine/errors';
import type { Progress } from '../../src/engine/protocol';
import { RpcClient } from '../../src/engine/rpc';
import type { FixtureMethods } from './fixtures/rpcWorker';

const worker = new Worker(new URL('./fixtures/rpcWorker.ts', import.meta.url), { type: 'module' });
const rpc = new RpcClient<FixtureMethods>(worker);
afterAll(() => { rpc.dispose(); worker.terminate(); });

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 2000): Promise<T> {
  const end = performance.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v) || performance.now() > end) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('request / return', () => {
  test('a call returns its value', async () => {
    expect(await rpc.call('echo', ['hi'])).toBe('echo: hi');
  });

  test('concurrent calls get their own replies', async () => {
    const words = ['a', 'b', 'c', 'd'];
    expect(await Promise.all(words.map((w) => rpc.call('echo', [w])))).toEqual(words.map((w) => `echo: ${w}`));
  });

  test('an ArrayBuffer is transferred to the worker (detached here) and one is transferred back', async () => {
    const buf = new Float32Array([1, 2, 3, 4.5]).buffer;
    const r = await rpc.call('sum', [buf], { transfer: [buf] });
    expect(r).toEqual({ sum: 10.5, byteLength: 16 });
    expect(buf.byteLength).toBe(0); // moved, not copied
    const back = await rpc.call('makeBuffer', [6]);
    expect(back).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(back)]).toEqual([0, 1, 2, 3, 4, 5]);
  });

  test('an unknown method is a TypeError naming it', async () => {
    const bad = rpc as unknown as RpcClient<{ nope(): Promise<void> }>;
    await expect(bad.call('nope', [])).rejects.toThrow(/no method "nope"/);
    await expect(bad.call('nope', [])).rejects.toBeInstanceOf(TypeError);
  });
});

describe('progress', () => {
  test('progress events arrive in order, before the return, with elapsed time', async () => {
    const events: Progress[] = [];
    let returned = false;
    const result = await rpc.call('slow', [3], { onProgress: (p) => { expect(returned).toBe(false); events.push(p); } });
    returned = true;
    expect(result).toBe(3);
    expect(events.map((p) => [p.phase, p.loaded, p.total, p.text])).toEqual([
      ['step', 1, 3, 'step 1 of 3'], ['step', 2, 3, 'step 2 of 3'], ['step', 3, 3, 'step 3 of 3'],
    ]);
    const times = events.map((p) => p.timeElapsed);
    expect(times[0]).toBeGreaterThan(0);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });
});

describe('errors cross as their class', () => {
  test('ModelFormatError keeps class, name, message naming the file, hint and data', async () => {
    const err = await rpc.call('failFormat', ['decoder.onnx']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFormatError);
    const e = err as ModelFormatError;
    expect(e.name).toBe('ModelFormatError');
    expect(e.message).toBe('"decoder.onnx" is not a valid model file: the first bytes are not an ONNX protobuf');
    expect(e.hint).toBe(new ModelFormatError().hint);
    expect(e.hint).toMatch(/download it again/);
    expect(e.data).toEqual({ file: 'decoder.onnx' });
    expect(e.stack).toContain('thrown in the worker');
  });

  test('built-in errors come back as themselves; unknown classes as RemoteError with the name kept', async () => {
    await expect(rpc.call('failPlain', [])).rejects.toBeInstanceOf(TypeError);
    const err = await rpc.call('failUnknownClass', []).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as RemoteError).name).toBe('SecretWorkerOnlyError');
    expect((err as RemoteError).hint).toBe('only the worker knows this class');
  });
});

describe('streams', () => {
  test('yielded values arrive in order and the stream ends', async () => {
    const got: number[] = [];
    for await (const v of rpc.stream('count', [5])) got.push(v);
    expect(got).toEqual([0, 1, 2, 3, 4]);
  });

  test('an error after some values reaches the consumer as its class', async () => {
    const got: number[] = [];
    const err = await (async () => { for await (const v of rpc.stream('streamThenFail', [])) got.push(v); })().catch((e: unknown) => e);
    expect(got).toEqual([1, 2]);
    expect(err).toBeInstanceOf(ModelFormatError);
  });

  test('breaking out of the loop cancels the worker-side generator (its finally runs)', async () => {
    const before = (await rpc.call('cancellations', [])).streamCleanups;
    const got: number[] = [];
    for await (const v of rpc.stream('endless', [])) {
      got.push(v);
      if (got.length === 3) break;
    }
    expect(got).toEqual([0, 1, 2]);
    const after = await until(() => rpc.call('cancellations', []), (c) => c.streamCleanups > before);
    expect(after.streamCleanups).toBe(before + 1);
  });

  test('aborting a stream with a signal rejects the pending next() with AbortError', async () => {
    const ac = new AbortController();
    const got: number[] = [];
    const err = await (async () => {
      for await (const v of rpc.stream('endless', [], { signal: ac.signal })) { got.push(v); if (v === 1) ac.abort(); }
    })().catch((e: unknown) => e);
    expect((err as Error).name).toBe('AbortError');
    expect(got.slice(0, 2)).toEqual([0, 1]);
  });
});

describe('cancellation', () => {
  test('aborting a call rejects it with AbortError and aborts the handler signal in the worker', async () => {
    const before = (await rpc.call('cancellations', [])).unary;
    const ac = new AbortController();
    const pending = rpc.call('waitForCancel', [], { signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    const err = await pending.catch((e: unknown) => e);
    expect((err as Error).name).toBe('AbortError');
    const after = await until(() => rpc.call('cancellations', []), (c) => c.unary > before);
    expect(after.unary).toBe(before + 1);
  });

  test('an already-aborted signal rejects without reaching the worker', async () => {
    const before = await rpc.call('cancellations', []);
    const err = await rpc.call('waitForCancel', [], { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect((err as Error).name).toBe('AbortError');
    expect(await rpc.call('cancellations', [])).toEqual(before);
  });
});
