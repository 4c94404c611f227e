import { describe, expect, it } from 'vitest';
import { chooseRankPath, medianMs, sizeClass } from './rankPath';

const busy = (ms: number) => () => { const t = performance.now(); while (performance.now() - t < ms) { /* spin */ } };
const wait = (ms: number) => () => new Promise((r) => setTimeout(r, ms));

describe('chooseRankPath', () => {
  it('takes the GPU kernel when it is faster, and says so with both timings', async () => {
    const c = await chooseRankPath(5000, busy(8), () => Promise.resolve(), { runs: 3 });
    expect(c.path).toBe('gpu');
    expect(c.gpuMs!).toBeLessThan(c.jsMs);
    expect(c.reason).toMatch(/^GPU similarity kernel \(measured on 5000 photos: GPU kernel [\d.]+ ms vs JS scan [\d.]+ ms/);
  });

  it('takes the JS scan when the kernel is slower', async () => {
    const c = await chooseRankPath(100, () => undefined, wait(20), { runs: 3 });
    expect(c.path).toBe('js');
    expect(c.gpuMs!).toBeGreaterThan(c.jsMs);
    expect(c.reason).toMatch(/^JS scan on the main thread \(measured on 100 photos/);
  });

  it('falls back to the JS scan, naming the cause, when the kernel throws or does not exist', async () => {
    const failed = await chooseRankPath(10, busy(0.1), () => Promise.reject(new Error('device lost')));
    expect(failed).toMatchObject({ path: 'js', gpuMs: null });
    expect(failed.reason).toContain('the GPU kernel failed: device lost');
    const none = await chooseRankPath(10, busy(0.1), null, { gpuUnavailable: 'the model runs on wasm' });
    expect(none.path).toBe('js');
    expect(none.reason).toContain('the model runs on wasm');
  });
});

describe('medianMs', () => {
  it('warms up once, then returns the median of the timed runs', async () => {
    let calls = 0;
    const ms = await medianMs(() => { calls++; return busy(calls === 1 ? 30 : 2)(); }, 3);
    expect(calls).toBe(4);
    expect(ms).toBeLessThan(20); // the slow warm-up is not counted
  });
});

it('sizeClass changes when the library doubles', () => {
  expect(sizeClass(0)).toBe(0);
  expect(sizeClass(1000)).toBe(sizeClass(1023));
  expect(sizeClass(2048)).toBe(sizeClass(1024) + 1);
});
