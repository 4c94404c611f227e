// A WGSL kernel and an ORT webgpu session exchange GPU buffers on ORT's own device, both ways, with no
// CPU round trip in between:
//   a (m, k) --affine kernel--> x = 2a + 1 (m, k) --Tensor.fromGpuBuffer--> session: y = relu(x @ w + b) (m, n)
//   y stays on the GPU (preferredOutputLocation 'gpu-buffer') --square kernel--> z = y * y (m, n) --> read back
// and z is checked against a float64 CPU computation of the same chain.
import { afterAll, describe, expect, test } from 'vitest';
import { createSession, getOrtDevice, gpuBufferOf, ORT_IO_BUFFER_USAGE, selectBackend, tensorFromGpuBuffer } from '../../src/gpu/ort';
import { matMulAddReluModel, randomFloats } from '../helpers/onnxBuilder';

// out[i] = in[i] * scale + shift for i < n. Workgroup 64; n is not a multiple of it in these tests.
const AFFINE_WGSL = /* wgsl */ `
struct Params { n: u32, scale: f32, shift: f32, _pad: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= p.n) { return; }
  dst[i] = src[i] * p.scale + p.shift;
}`;

// out[i] = in[i] * in[i] for i < n.
const SQUARE_WGSL = /* wgsl */ `
struct Params { n: u32, _a: u32, _b: u32, _c: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= p.n) { return; }
  dst[i] = src[i] * src[i];
}`;

const owned: GPUBuffer[] = [];
afterAll(() => { for (const b of owned) b.destroy(); });

function buffer(device: GPUDevice, bytes: number, usage: number): GPUBuffer {
  const b = device.createBuffer({ size: Math.ceil(bytes / 16) * 16, usage });
  owned.push(b);
  return b;
}

/** Dispatches `code` once over n elements: uniform (n, f32 a, f32 b, pad), src, dst. */
function dispatch(device: GPUDevice, code: string, n: number, src: GPUBuffer, dst: GPUBuffer, a = 0, b = 0): void {
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint: 'main' } });
  const params = buffer(device, 16, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  const raw = new ArrayBuffer(16);
  new Uint32Array(raw, 0, 1)[0] = n;
  new Float32Array(raw, 4, 2).set([a, b]);
  device.queue.writeBuffer(params, 0, raw);
  const bind = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [{ binding: 0, resource: { buffer: params } }, { binding: 1, resource: { buffer: src } }, { binding: 2, resource: { buffer: dst } }],
  });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bind);
  pass.dispatchWorkgroups(Math.ceil(n / 64));
  pass.end();
  device.queue.submit([enc.finish()]);
}

async function readBack(device: GPUDevice, src: GPUBuffer, count: number): Promise<Float32Array> {
  const staging = buffer(device, count * 4, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, 0, staging, 0, staging.size);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0, count * 4));
  staging.unmap();
  return out;
}

describe('GPU-buffer IO binding between a WGSL kernel and an ORT session', () => {
  test('kernel -> session input -> session gpu output -> kernel, equal to a float64 CPU chain', async () => {
    expect((await selectBackend()).backend).toBe('webgpu');
    const device = await getOrtDevice();
    const [m, k, n] = [3, 7, 5]; // m*k = 21 and m*n = 15 elements: partial workgroups
    const a = randomFloats(m * k, 31); // (m, k)
    const w = randomFloats(k * n, 32, 0.5); // (k, n)
    const b = randomFloats(n, 33, 0.2); // (n,)

    // 1) kernel: x = 2a + 1, written into a buffer ORT can read. (m, k) f32
    const aBuf = buffer(device, a.byteLength, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST);
    device.queue.writeBuffer(aBuf, 0, a);
    const xBuf = buffer(device, m * k * 4, ORT_IO_BUFFER_USAGE);
    dispatch(device, AFFINE_WGSL, m * k, aBuf, xBuf, 2, 1);

    // 2) session reads x from the GPU and leaves y on the GPU. (m, n) f32
    const session = await createSession(matMulAddReluModel(w, b, k, n), { gpuOutputs: true, name: 'mlp.onnx' });
    expect(session.backend).toBe('webgpu');
    const out = await session.run({ x: tensorFromGpuBuffer(xBuf, [m, k]) });
    const y = out.y;
    expect(y.location).toBe('gpu-buffer');
    expect(y.dims).toEqual([m, n]);
    const yBuf = gpuBufferOf(y);

    // 3) kernel: z = y * y, reading ORT's output buffer directly. (m, n) f32
    const zBuf = buffer(device, m * n * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
    dispatch(device, SQUARE_WGSL, m * n, yBuf, zBuf);
    const z = await readBack(device, zBuf, m * n);

    const ref = new Float64Array(m * n);
    let clipped = 0;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = b[j];
        for (let p = 0; p < k; p++) acc += (2 * a[i * k + p] + 1) * w[p * n + j];
        if (acc <= 0) clipped++;
        ref[i * n + j] = Math.max(0, acc) ** 2;
      }
    }
    expect(clipped).toBeGreaterThan(0); // relu clips somewhere, so a missing activation would show
    expect(clipped).toBeLessThan(m * n);
    const worst = Math.max(...[...z].map((v, i) => Math.abs(v - ref[i]) / (1e-5 + 1e-5 * Math.abs(ref[i]))));
    expect(worst, `z=${[...z]} ref=${[...ref]}`).toBeLessThanOrEqual(1);

    // The session output also downloads to the same values ORT computed.
    const yCpu = (await y.getData()) as Float32Array;
    expect([...yCpu].map((v) => Math.fround(v * v))).toEqual([...z]);
    y.dispose();
    await session.release();
  });

  test('ORT keeps one device: the same GPUDevice after more sessions come and go, not lost', async () => {
    const before = await getOrtDevice();
    const s = await createSession(matMulAddReluModel(randomFloats(4, 1), new Float32Array(2), 2, 2));
    await s.release();
    const after = await getOrtDevice();
    expect(after).toBe(before);
    // A lost device's `lost` promise is already settled; a live one's is not.
    const settled = await Promise.race([after.lost.then(() => true), new Promise((r) => setTimeout(() => r(false), 50))]);
    expect(settled).toBe(false);
  });

  test('tensorFromGpuBuffer refuses a buffer smaller than its dims', async () => {
    const device = await getOrtDevice();
    const small = buffer(device, 16, ORT_IO_BUFFER_USAGE); // 4 floats
    expect(() => tensorFromGpuBuffer(small, [2, 3])).toThrow(RangeError);
    expect(tensorFromGpuBuffer(small, [2, 2]).dims).toEqual([2, 2]);
  });
});
