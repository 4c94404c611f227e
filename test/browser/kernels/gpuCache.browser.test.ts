// src/gpu/pipelines.ts and src/gpu/buffers.ts: per-device pipeline cache and buffer pool, dropped on
// device loss; the WGSL preprocessor; uniform packing read from the WGSL struct.
import { describe, expect, it } from 'vitest';
import {
  cachedPipelineCount, getPipeline, packUniforms, preprocessWgsl, uniformLayout, warmPipeline,
} from '../../../src/gpu/pipelines';
import { BufferPool, Recorder, STORAGE_RW, getBufferPool, sizeClass } from '../../../src/gpu/buffers';

const OK_WGSL = `
override SCALE: f32 = 1.0;
@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@compute @workgroup_size(1) fn main() { x[0] = x[0] * SCALE; }`;

async function freshDevice(): Promise<GPUDevice> {
  const adapter = await navigator.gpu.requestAdapter();
  return adapter!.requestDevice();
}

describe('pipeline cache', () => {
  it('one pipeline per (code, entry point, constants) per device; warm then get is a hit', async () => {
    const device = await freshDevice();
    const spec = { label: 't', code: OK_WGSL, entryPoint: 'main' };
    const warmed = await warmPipeline(device, spec);
    expect(getPipeline(device, spec)).toBe(warmed);
    const scaled = getPipeline(device, { ...spec, constants: { SCALE: 2 } });
    expect(scaled).not.toBe(warmed);
    expect(getPipeline(device, { ...spec, constants: { SCALE: 2 } })).toBe(scaled);
    expect(cachedPipelineCount(device)).toBe(2);
    device.destroy();
    await device.lost;
    expect(cachedPipelineCount(device)).toBe(0);
  });

  it('warmPipeline rejects with the compiler message for invalid WGSL', async () => {
    const device = await freshDevice();
    await expect(warmPipeline(device, { label: 'bad', code: 'fn main( {', entryPoint: 'main' })).rejects.toThrow(/bad.*failed to compile/s);
    device.destroy();
  });
});

describe('buffer pool', () => {
  it('size classes waste at most 25% and are 4-byte multiples', () => {
    for (const n of [1, 255, 256, 257, 1000, 4096, 4097, 123457, 1 << 20, (1 << 20) + 1]) {
      const c = sizeClass(n);
      expect(c).toBeGreaterThanOrEqual(n);
      expect(c % 4).toBe(0);
      if (n > 256) expect(c).toBeLessThanOrEqual(n * 1.25 + 4);
    }
  });

  it('reuses released buffers by usage and size class, refuses foreign or double releases', async () => {
    const device = await freshDevice();
    const pool = getBufferPool(device);
    expect(getBufferPool(device)).toBe(pool);
    const a = pool.acquire(1000, STORAGE_RW);
    pool.release(a);
    expect(pool.acquire(900, STORAGE_RW)).toBe(a); // same class (1024)
    const u = pool.acquire(900, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    expect(u).not.toBe(a); // different usage
    expect(() => pool.release(device.createBuffer({ size: 16, usage: STORAGE_RW }))).toThrow(/not acquired/);
    pool.release(u);
    expect(() => pool.release(u)).toThrow(/released twice/);
    expect(pool.stats()).toMatchObject({ created: 2, reused: 1, inUse: 1, free: 1 });
    expect(() => pool.acquire(device.limits.maxBufferSize + 1, STORAGE_RW)).toThrow(/maxBufferSize/);
    device.destroy();
  });

  it('device loss destroys every pooled buffer and forgets the pool', async () => {
    const device = await freshDevice();
    const pool = getBufferPool(device);
    const held = pool.acquire(64, STORAGE_RW);
    pool.release(pool.acquire(64, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST));
    expect(held.size).toBe(256);
    device.destroy();
    await device.lost;
    await Promise.resolve();
    expect(() => pool.acquire(16, STORAGE_RW)).toThrow(/device was lost/);
    expect(getBufferPool(device)).not.toBe(pool);
    expect(getBufferPool(device)).toBeInstanceOf(BufferPool);
  });

  it('a Recorder returns its transients to the pool on submit', async () => {
    const device = await freshDevice();
    const rec = new Recorder(device);
    rec.transient(100);
    rec.uniform(new ArrayBuffer(16));
    expect(rec.pool.stats().inUse).toBe(2);
    rec.submit();
    expect(rec.pool.stats()).toMatchObject({ inUse: 0, free: 2 });
    expect(() => rec.submit()).toThrow(/already submitted/);
    device.destroy();
  });
});

describe('WGSL preprocessor and uniform structs', () => {
  it('//#if, //#if !, //#else, nesting; line numbers kept', () => {
    const src = ['a', '//#if F16', 'half', '//#if X', 'both', '//#else', 'halfOnly', '//#endif', '//#else', 'full', '//#endif', '//#if !X', 'notX', '//#endif', 'z'].join('\n');
    const on = preprocessWgsl(src, { F16: true, X: false });
    expect(on.split('\n').filter(Boolean)).toEqual(['a', 'half', 'halfOnly', 'notX', 'z']);
    expect(on.split('\n')).toHaveLength(15);
    const off = preprocessWgsl(src, { F16: false, X: true });
    expect(off.split('\n').filter(Boolean)).toEqual(['a', 'full', 'z']);
    expect(() => preprocessWgsl('//#if Y\n//#endif', {})).toThrow(/not defined/);
    expect(() => preprocessWgsl('//#if F16\n', { F16: true })).toThrow(/unterminated/);
    expect(() => preprocessWgsl('//#endif', {})).toThrow(/stray/);
  });

  it('consts rewrite module-scope u32 constants and refuse unknown ones', () => {
    const src = 'const HD: u32 = 256u;   // set per pipeline\nconst TK: u32 = max(1u, 1024u / HD);';
    expect(preprocessWgsl(src, {}, { HD: 32 })).toBe('const HD: u32 = 32u;   // set per pipeline\nconst TK: u32 = max(1u, 1024u / HD);');
    expect(() => preprocessWgsl(src, {}, { NOPE: 1 })).toThrow(/NOPE/);
    expect(() => preprocessWgsl(src, {}, { HD: -1 })).toThrow(/u32/);
  });

  it('uniform layout comes from the WGSL struct; packing refuses missing, extra or ill-typed fields', () => {
    const lay = uniformLayout('struct Params {\n  n: u32,   // rows, like this\n  s: f32,\n  o: i32,\n}');
    expect(lay.fields.map((f) => f.name)).toEqual(['n', 's', 'o']);
    expect(lay.byteSize).toBe(16);
    const buf = packUniforms(lay, { n: 7, s: 0.5, o: -2 });
    const dv = new DataView(buf);
    expect([dv.getUint32(0, true), dv.getFloat32(4, true), dv.getInt32(8, true)]).toEqual([7, 0.5, -2]);
    expect(() => packUniforms(lay, { n: 7, s: 0.5 })).toThrow(/'o'/);
    expect(() => packUniforms(lay, { n: 7, s: 0.5, o: 1, extra: 1 })).toThrow(/extra/);
    expect(() => packUniforms(lay, { n: -1, s: 0.5, o: 1 })).toThrow(/u32/);
    expect(() => packUniforms(lay, { n: 1.5, s: 0.5, o: 1 })).toThrow(/u32/);
    expect(() => uniformLayout('struct Params { v: vec2<f32> }')).toThrow(/4-byte scalars/);
  });
});
