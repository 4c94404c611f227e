// Next-token choice: greedy = first argmax; temperature / top-p sample the right distribution and a seed
// reproduces the same tokens.
import { describe, expect, test } from 'vitest';
import { argmax, nucleus, Sampler, seededRandom } from '../../../src/engine/core/sampling';

const logitsOf = (probs: number[]) => Float32Array.from(probs, Math.log);

describe('greedy', () => {
  test('argmax takes the first of equal maxima (like torch.argmax) and ignores NaN', () => {
    expect(argmax([1, 3, 3, 2])).toBe(1);
    expect(argmax([NaN, -1, -2])).toBe(1);
    expect(argmax([0, 9, 1, 9, 5], 2, 3)).toBe(1); // a row at an offset: index within the row
  });

  test('temperature 0 is greedy whatever topP and seed say', () => {
    const s = new Sampler({ temperature: 0, topP: 0.3, seed: 99 });
    const logits = Float32Array.from([0.1, 2, 1.9, -5]);
    for (let i = 0; i < 20; i++) expect(s.next(logits)).toBe(1);
  });
});

describe('temperature and top-p', () => {
  test('nucleus keeps the smallest prefix reaching topP, renormalised, ties by lower id', () => {
    const { ids, probs } = nucleus(logitsOf([0.2, 0.5, 0.3]), 1, 0.7);
    expect(ids).toEqual([1, 2]);
    expect(probs[0]).toBeCloseTo(0.5 / 0.8, 7); // logits are fp32
    expect(probs[1]).toBeCloseTo(0.3 / 0.8, 7);
    expect(nucleus(logitsOf([0.25, 0.25, 0.5]), 1, 0.6).ids).toEqual([2, 0]);
    expect(nucleus(logitsOf([0.2, 0.5, 0.3]), 1, 1e-9).ids).toEqual([1]); // always at least one
  });

  test('temperature sharpens or flattens: p_i ~ p_i^(1/T)', () => {
    const { probs } = nucleus(logitsOf([0.8, 0.2]), 0.5, 1);
    expect(probs[0]).toBeCloseTo(0.64 / 0.68, 7);
  });

  test('samples follow the nucleus distribution (20k draws, fixed seed)', () => {
    const s = new Sampler({ temperature: 1, topP: 0.75, seed: 1 });
    const logits = logitsOf([0.1, 0.5, 0.15, 0.25]); // top-p 0.75 keeps ids 1 (0.5) and 3 (0.25)
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 20_000; i++) counts[s.next(logits)]++;
    expect(counts[0] + counts[2]).toBe(0);
    expect(counts[1] / 20_000).toBeCloseTo(2 / 3, 1);
    expect(Math.abs(counts[1] / 20_000 - 2 / 3)).toBeLessThan(0.015);
  });

  test('the same seed gives the same tokens; another seed gives others', () => {
    const logits = Float32Array.from({ length: 50 }, (_, i) => Math.sin(i) * 2);
    const run = (seed: number) => { const s = new Sampler({ temperature: 1.2, topP: 0.95, seed }); return Array.from({ length: 40 }, () => s.next(logits)); };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });

  test('the RNG is uniform enough and stays in [0, 1)', () => {
    const r = seededRandom(123);
    let sum = 0;
    for (let i = 0; i < 10_000; i++) { const u = r(); expect(u >= 0 && u < 1).toBe(true); sum += u; }
    expect(sum / 10_000).toBeCloseTo(0.5, 1);
  });

  test('bad options are refused', () => {
    expect(() => new Sampler({ temperature: -1 })).toThrow(RangeError);
    expect(() => new Sampler({ topP: 0 })).toThrow(RangeError);
    expect(() => new Sampler({ topP: 1.5 })).toThrow(RangeError);
  });
});
