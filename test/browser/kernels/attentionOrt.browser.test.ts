// attention.wgsl, run on ORT's own GPUDevice, against onnxruntime-web's MultiHeadAttention and
// GroupQueryAttention on the same inputs: the wasm EP (known correct, ENVIRONMENT.md) and the webgpu EP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession, getOrtDevice, selectBackend, Tensor, type Backend, type OrtSession } from '../../../src/gpu/ort';
import { createKeyMask, createKvCache, destroyKvCache, encodeAttention, encodeKvAppend, type KeyMask } from '../../../src/kernels/attention';
import { Recorder, STORAGE_RW } from '../../../src/gpu/buffers';
import { gqaModel, maskBias, mhaModel, toBNSH } from './attentionGraphs';
import { checkClose, randInt, randn, readF32, rng, upload } from './util';

interface Inputs {
  S: number; Hq: number; Hkv: number; hd: number; pastLen: number;
  q: Float32Array; k: Float32Array; v: Float32Array; // q (S, Hq, hd); k, v (pastLen + S, Hkv, hd)
  block?: { start: number; end: number }; hidden?: number[];
}

let device: GPUDevice;
beforeAll(async () => {
  expect((await selectBackend()).backend).toBe('webgpu');
  device = await getOrtDevice();
});

const sessions = new Map<string, OrtSession>();
afterAll(async () => { for (const s of sessions.values()) await s.release(); });

/** One session per (graph, backend), created on first use. */
async function session(make: () => Uint8Array, backend: Backend, name: string): Promise<OrtSession> {
  const key = `${name}/${backend}`;
  let s = sessions.get(key);
  if (!s) {
    s = await createSession(make(), { backend, fallbackToWasm: false, name });
    expect(s.backend).toBe(backend);
    sessions.set(key, s);
  }
  return s;
}

/** Our kernel on ORT's device: cache filled with past + new rows, then attention over S rows. */
async function ours(x: Inputs): Promise<Float32Array> {
  const T = x.pastLen + x.S;
  const row = x.Hkv * x.hd;
  const cache = createKvCache(device, { capacity: T, Hkv: x.Hkv, hd: x.hd });
  const bufs: GPUBuffer[] = [];
  const up = (a: Float32Array) => { const b = upload(device, a, STORAGE_RW); bufs.push(b); return b; };
  let mask: KeyMask | undefined;
  try {
    const rec = new Recorder(device);
    if (x.pastLen) encodeKvAppend(rec, cache, up(x.k.subarray(0, x.pastLen * row)), up(x.v.subarray(0, x.pastLen * row)), x.pastLen);
    encodeKvAppend(rec, cache, up(x.k.subarray(x.pastLen * row)), up(x.v.subarray(x.pastLen * row)), x.S);
    if (x.hidden) mask = createKeyMask(device, T, x.hidden);
    const out = rec.transient(x.S * x.Hq * x.hd * 4);
    encodeAttention(rec, { q: up(x.q), S: x.S, Hq: x.Hq, cache, out, bidirectionalBlock: x.block, keyMask: mask });
    rec.submit();
    return await readF32(device, out, x.S * x.Hq * x.hd);
  } finally {
    destroyKvCache(cache);
    mask?.buffer.destroy();
    bufs.forEach((b) => b.destroy());
  }
}

async function runMha(x: Inputs, backend: Backend): Promise<Float32Array> {
  expect(x.Hq).toBe(x.Hkv);
  const T = x.pastLen + x.S, D = x.Hq * x.hd;
  const s = await session(() => mhaModel(x.Hq, x.hd, 1 / Math.sqrt(x.hd)), backend, `mha-H${x.Hq}-hd${x.hd}`);
  const out = await s.run({
    query: new Tensor('float32', x.q, [1, x.S, D]),
    key: new Tensor('float32', x.k, [1, T, D]),
    value: new Tensor('float32', x.v, [1, T, D]),
    attention_bias: new Tensor('float32', maskBias(x.S, x.pastLen, x.block, x.hidden), [1, 1, x.S, T]),
  });
  return (await out.output.getData()) as Float32Array;
}

async function runGqa(x: Inputs, backend: Backend): Promise<{ out: Float32Array; presentK: Float32Array }> {
  const T = x.pastLen + x.S, row = x.Hkv * x.hd;
  const withPast = x.pastLen > 0;
  const s = await session(() => gqaModel(x.Hq, x.Hkv, x.hd, 1 / Math.sqrt(x.hd), withPast), backend,
    `gqa-${x.Hq}-${x.Hkv}-hd${x.hd}-${withPast ? 'past' : 'nopast'}`);
  const feeds: Record<string, InstanceType<typeof Tensor>> = {
    query: new Tensor('float32', x.q, [1, x.S, x.Hq * x.hd]),
    key: new Tensor('float32', x.k.slice(x.pastLen * row), [1, x.S, row]),
    value: new Tensor('float32', x.v.slice(x.pastLen * row), [1, x.S, row]),
    seqlens_k: new Tensor('int32', Int32Array.from([T - 1]), [1]),
    total_sequence_length: new Tensor('int32', Int32Array.from([T]), []),
  };
  if (withPast) {
    feeds.past_key = new Tensor('float32', toBNSH(x.k.slice(0, x.pastLen * row), x.pastLen, x.Hkv, x.hd), [1, x.Hkv, x.pastLen, x.hd]);
    feeds.past_value = new Tensor('float32', toBNSH(x.v.slice(0, x.pastLen * row), x.pastLen, x.Hkv, x.hd), [1, x.Hkv, x.pastLen, x.hd]);
  }
  const r = await s.run(feeds);
  return { out: (await r.output.getData()) as Float32Array, presentK: (await r.present_key.getData()) as Float32Array };
}

function inputs(seed: number, o: Partial<Inputs>): Inputs {
  const r = rng(seed);
  const Hkv = o.Hkv ?? 2, Hq = o.Hq ?? Hkv, hd = o.hd ?? randInt(r, 3, 20);
  const S = o.S ?? randInt(r, 2, 9), pastLen = o.pastLen ?? 0;
  const T = pastLen + S;
  return { S, Hq, Hkv, hd, pastLen, q: randn(r, S * Hq * hd, 0.1, 20), k: randn(r, T * Hkv * hd), v: randn(r, T * Hkv * hd), ...o };
}

function expectClose(label: string, a: ArrayLike<number>, b: ArrayLike<number>, atol = 5e-5, rtol = 5e-4) {
  const rep = checkClose(label, a, b, atol, rtol);
  expect(rep.ok, `${label}: ${rep.bad} mismatches, first ${rep.first[0]}`).toBe(true);
}

describe('attention kernel vs onnxruntime-web MultiHeadAttention (attention_bias encodes our masks)', () => {
  const cases: [string, Inputs][] = [
    ['causal prefill', inputs(1, { S: 7, Hq: 2, Hkv: 2 })],
    ['decode against 70 past keys', inputs(2, { S: 1, pastLen: 70, Hq: 3, Hkv: 3 })],
    ['pass-1 bidirectional block', inputs(3, { S: 12, Hq: 2, Hkv: 2, block: { start: 6, end: 12 } })],
    ['hidden summary keys in pass 2', inputs(4, { S: 3, pastLen: 8, Hq: 2, Hkv: 2, hidden: [0, 2, 3] })],
  ];
  for (const [name, x] of cases) {
    it(`${name}: kernel == wasm EP`, async () => {
      expectClose(name, await ours(x), await runMha(x, 'wasm'));
    });
  }
  it('webgpu EP agrees with the wasm EP and the kernel on the same inputs', async () => {
    for (const [name, x] of cases) {
      const gpu = await runMha(x, 'webgpu');
      expectClose(`${name} webgpu vs wasm`, gpu, await runMha(x, 'wasm'));
      expectClose(`${name} webgpu vs kernel`, gpu, await ours(x));
    }
  });
});

describe('attention kernel vs onnxruntime-web GroupQueryAttention (causal, grouped KV heads)', () => {
  const cases: [string, Inputs][] = [
    ['prefill, 6 query heads on 2 KV heads', inputs(11, { S: 9, Hq: 6, Hkv: 2, hd: 8 })],
    // ORT's GQA requires head_size % 8 == 0 ("head_size must be a multiple of 8"); the kernel does not.
    ['prefill, 4 query heads on 1 KV head, 70 rows', inputs(12, { S: 70, Hq: 4, Hkv: 1, hd: 24 })],
    ['decode, 4 on 2, 66 past keys', inputs(13, { S: 1, pastLen: 66, Hq: 4, Hkv: 2, hd: 16 })],
  ];
  for (const [name, x] of cases) {
    it(`${name}: kernel == wasm EP (output and the appended cache)`, async () => {
      const g = await runGqa(x, 'wasm');
      expectClose(name, await ours(x), g.out);
      // present_key is the whole cache in BNSH: the same rows our append wrote.
      expectClose(`${name} present_key`, toBNSH(x.k, x.pastLen + x.S, x.Hkv, x.hd), g.presentK, 0, 0);
    });
  }
  it('webgpu EP agrees with the kernel for S < 32 (see the note on longer prefills)', async () => {
    for (const [name, x] of cases) {
      const gpu = (await runGqa(x, 'webgpu')).out;
      if (x.S < 32) { expectClose(`${name} webgpu vs kernel`, gpu, await ours(x)); continue; }
      // Measured here (ORT-web 1.30, SwiftShader, subgroup size 4): the webgpu EP's MHA and GQA give wrong
      // rows from row 4 on once S >= 32 (its flash-attention prefill path), while the wasm EP and this
      // kernel agree. Logged, not asserted, so an ORT fix does not fail the suite.
      const rep = checkClose(`${name} webgpu EP vs kernel (known ORT webgpu discrepancy for S >= 32)`, gpu, await ours(x), 5e-5, 5e-4, 2);
      console.warn(`ORT webgpu GQA prefill S=${x.S}: ${rep.bad}/${gpu.length} values differ from the kernel (max ${rep.maxAbs.toExponential(2)})`);
    }
  });
});
