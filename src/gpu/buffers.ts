// GPU buffer pool, one per GPUDevice, and the Recorder that kernels encode into.
//
// Creation and first bind of a buffer are expensive in WebGPU, so scratch buffers (uniforms, partial
// results, staging for readback) are pooled by (usage, size class) and handed back explicitly. Size
// classes are 2^n * {1, 1.25, 1.5, 1.75} (at most 25% waste), at least 256 bytes. A pooled buffer may
// therefore be larger than asked: kernels always bind with an explicit `size`, never rely on
// `arrayLength`. When the device is lost every pooled buffer is destroyed and the pool forgotten.
//
// Reuse is safe as soon as the commands using a buffer are submitted: every later use (queue.writeBuffer
// or a later submit) is ordered after them on the one queue. The Recorder relies on exactly that: it
// releases its transient buffers right after `submit()`.

const MIN_CLASS = 256;

export function sizeClass(bytes: number): number {
  if (bytes <= MIN_CLASS) return MIN_CLASS;
  const p = 2 ** Math.floor(Math.log2(bytes));
  for (const f of [1, 1.25, 1.5, 1.75, 2]) {
    const s = p * f;
    if (s >= bytes) return Math.ceil(s / 4) * 4;
  }
  return p * 2;
}

export interface PoolStats { created: number; reused: number; free: number; inUse: number; bytesHeld: number }

export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  private readonly inUse = new Map<GPUBuffer, string>();
  private created = 0;
  private reused = 0;
  private bytesHeld = 0;
  private dead = false;

  constructor(readonly device: GPUDevice) {}

  /** A buffer of at least `bytes` bytes with exactly `usage`. Hand it back with `release`. */
  acquire(bytes: number, usage: GPUBufferUsageFlags, label = 'pool'): GPUBuffer {
    if (this.dead) throw new Error('BufferPool: the device was lost; get a new pool for the new device');
    if (!(bytes > 0)) throw new Error(`BufferPool.acquire: size ${bytes} must be > 0`);
    const max = this.device.limits.maxBufferSize;
    if (bytes > max) {
      throw new Error(`BufferPool.acquire: ${bytes} bytes exceeds this adapter's maxBufferSize ${max}`);
    }
    const cls = Math.min(sizeClass(bytes), max);
    const key = `${usage}:${cls}`;
    const list = this.free.get(key);
    let buf = list?.pop();
    if (buf) this.reused++;
    else {
      buf = this.device.createBuffer({ label: `${label} (${cls} B)`, size: cls, usage });
      this.created++;
      this.bytesHeld += cls;
    }
    this.inUse.set(buf, key);
    return buf;
  }

  release(buf: GPUBuffer): void {
    if (this.dead) return;
    const key = this.inUse.get(buf);
    if (key === undefined) throw new Error(`BufferPool.release: '${buf.label}' was not acquired from this pool (or released twice)`);
    this.inUse.delete(buf);
    let list = this.free.get(key);
    if (!list) { list = []; this.free.set(key, list); }
    list.push(buf);
  }

  /** Destroy the idle buffers (e.g. after a big one-off search) without touching ones in use. */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) { this.bytesHeld -= b.size; b.destroy(); }
    this.free.clear();
  }

  destroyAll(): void {
    this.trim();
    for (const b of this.inUse.keys()) b.destroy();
    this.inUse.clear();
    this.bytesHeld = 0;
    this.dead = true;
  }

  stats(): PoolStats {
    let free = 0;
    for (const l of this.free.values()) free += l.length;
    return { created: this.created, reused: this.reused, free, inUse: this.inUse.size, bytesHeld: this.bytesHeld };
  }
}

const pools = new WeakMap<GPUDevice, BufferPool>();

export function getBufferPool(device: GPUDevice): BufferPool {
  let p = pools.get(device);
  if (!p) {
    const pool = new BufferPool(device);
    pools.set(device, pool);
    void device.lost.then(() => { pool.destroyAll(); pools.delete(device); });
    p = pool;
  }
  return p;
}

export const STORAGE_RW = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/**
 * One command encoder plus the transient buffers its commands use. Kernels encode into a Recorder;
 * the caller submits once. Typical engine use per decoder layer, between two ORT sessions:
 *   const rec = new Recorder(device); encodeKvAppend(rec, ...); encodeAttention(rec, ...); rec.submit();
 */
export class Recorder {
  readonly encoder: GPUCommandEncoder;
  readonly pool: BufferPool;
  private transients: GPUBuffer[] = [];
  private done = false;

  constructor(readonly device: GPUDevice, label = 'kernels') {
    this.pool = getBufferPool(device);
    this.encoder = device.createCommandEncoder({ label });
  }

  /** Scratch buffer valid until `submit()`; returned to the pool afterwards. */
  transient(bytes: number, usage: GPUBufferUsageFlags = STORAGE_RW, label = 'scratch'): GPUBuffer {
    const b = this.pool.acquire(bytes, usage, label);
    this.transients.push(b);
    return b;
  }

  /** A uniform buffer holding `data` (written now; ordered before this recorder's submit). */
  uniform(data: ArrayBuffer, label = 'params'): GPUBuffer {
    const b = this.transient(data.byteLength, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label);
    this.device.queue.writeBuffer(b, 0, data);
    return b;
  }

  dispatch(pipeline: GPUComputePipeline, entries: GPUBindGroupEntry[], x: number, y = 1, z = 1, label?: string): void {
    const bindGroup = this.device.createBindGroup({ label, layout: pipeline.getBindGroupLayout(0), entries });
    const pass = this.encoder.beginComputePass({ label });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    pass.end();
  }

  /** Drop the recorded commands (e.g. after a guard threw) and return the transients. */
  discard(): void {
    if (this.done) return;
    this.done = true;
    for (const b of this.transients) this.pool.release(b);
    this.transients = [];
  }

  submit(): void {
    if (this.done) throw new Error('Recorder.submit: already submitted');
    this.done = true;
    this.device.queue.submit([this.encoder.finish()]);
    for (const b of this.transients) this.pool.release(b);
    this.transients = [];
  }
}

/** Copy `bytes` bytes of `src` (from `offset`) back to the CPU. Not for per-layer use: one round trip. */
export async function readBuffer(device: GPUDevice, src: GPUBuffer, bytes: number, offset = 0): Promise<ArrayBuffer> {
  const pool = getBufferPool(device);
  const staging = pool.acquire(bytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 'readback');
  const enc = device.createCommandEncoder({ label: 'readback' });
  enc.copyBufferToBuffer(src, offset, staging, 0, bytes);
  device.queue.submit([enc.finish()]);
  try {
    await staging.mapAsync(GPUMapMode.READ, 0, bytes);
    const copy = staging.getMappedRange(0, bytes).slice(0);
    staging.unmap();
    return copy;
  } finally {
    pool.release(staging);
  }
}

/** A new (unpooled) storage buffer holding `data`; the caller owns it and destroys it. */
export function createBufferFrom(device: GPUDevice, data: ArrayBufferView, usage: GPUBufferUsageFlags = STORAGE_RW, label = 'data'): GPUBuffer {
  const size = Math.max(4, Math.ceil(data.byteLength / 4) * 4);
  const buf = device.createBuffer({ label, size, usage, mappedAtCreation: true });
  new Uint8Array(buf.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  buf.unmap();
  return buf;
}
