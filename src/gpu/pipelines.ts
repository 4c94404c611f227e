// Compute-pipeline cache, one per GPUDevice, plus the two things every kernel wrapper needs around it:
// a tiny WGSL preprocessor (`//#if NAME` / `//#else` / `//#endif`) and uniform-struct packing whose
// layout is read from the kernel's own .wgsl source, so the TS side cannot drift from the shader.
//
// Pipelines are cached in a WeakMap keyed by the device: when ORT's device is lost (or destroyed) its
// entry is dropped and nothing of the old device is ever bound to a new one. Pipeline creation costs
// 26-725 ms on SwiftShader (ENVIRONMENT.md), so `warmPipeline` compiles asynchronously ahead of use and
// reports WGSL errors as a rejected promise; `getPipeline` is the synchronous lookup the encode
// functions use (it compiles on a miss).

export type PipelineConstants = Record<string, number>;

export interface PipelineSpec {
  /** Stable name for error messages and labels, e.g. 'attention/main/f32'. */
  label: string;
  /** Full, already preprocessed WGSL source. */
  code: string;
  entryPoint: string;
  /** WGSL `override` constants. */
  constants?: PipelineConstants;
}

interface DeviceCache {
  modules: Map<string, GPUShaderModule>; // by code
  pipelines: Map<string, GPUComputePipeline>; // by variantKey(spec)
  pending: Map<string, Promise<GPUComputePipeline>>;
}

const caches = new WeakMap<GPUDevice, DeviceCache>();

function cacheFor(device: GPUDevice): DeviceCache {
  let c = caches.get(device);
  if (!c) {
    c = { modules: new Map(), pipelines: new Map(), pending: new Map() };
    caches.set(device, c);
    // A lost device keeps nothing: the next lookup on a new device starts empty anyway (WeakMap key),
    // and dropping the entry now frees the old pipelines even if someone still holds the old device.
    void device.lost.then(() => { caches.delete(device); });
  }
  return c;
}

function variantKey(spec: PipelineSpec): string {
  const consts = spec.constants
    ? Object.keys(spec.constants).sort().map((k) => `${k}=${spec.constants![k]}`).join(',')
    : '';
  // The code string itself is part of the key (V8 caches string hashes, so this is cheap for the
  // module-level constant strings the wrappers pass).
  return `${spec.entryPoint}|${consts}|${spec.code}`;
}

function moduleFor(device: GPUDevice, c: DeviceCache, spec: PipelineSpec): GPUShaderModule {
  let m = c.modules.get(spec.code);
  if (!m) {
    m = device.createShaderModule({ label: spec.label, code: spec.code });
    c.modules.set(spec.code, m);
  }
  return m;
}

function descriptor(device: GPUDevice, c: DeviceCache, spec: PipelineSpec): GPUComputePipelineDescriptor {
  return {
    label: spec.label,
    layout: 'auto',
    compute: { module: moduleFor(device, c, spec), entryPoint: spec.entryPoint, constants: spec.constants },
  };
}

/** Synchronous lookup; compiles on a miss (errors then surface as device validation errors). */
export function getPipeline(device: GPUDevice, spec: PipelineSpec): GPUComputePipeline {
  const c = cacheFor(device);
  const key = variantKey(spec);
  let p = c.pipelines.get(key);
  if (!p) {
    p = device.createComputePipeline(descriptor(device, c, spec));
    c.pipelines.set(key, p);
  }
  return p;
}

/**
 * Compile ahead of use without blocking; rejects with the compiler's message if the WGSL is invalid.
 * After it resolves, `getPipeline` with the same spec is a cache hit.
 */
export async function warmPipeline(device: GPUDevice, spec: PipelineSpec): Promise<GPUComputePipeline> {
  const c = cacheFor(device);
  const key = variantKey(spec);
  const hit = c.pipelines.get(key);
  if (hit) return hit;
  let pending = c.pending.get(key);
  if (!pending) {
    const desc = descriptor(device, c, spec);
    pending = device.createComputePipelineAsync(desc).then(
      (p) => { c.pipelines.set(key, p); c.pending.delete(key); return p; },
      async (e: unknown) => {
        c.pending.delete(key);
        const info = await desc.compute.module.getCompilationInfo();
        const msgs = info.messages.map((m) => `${m.type} ${m.lineNum}:${m.linePos} ${m.message}`).join('\n');
        throw new Error(`WGSL pipeline '${spec.label}' failed to compile: ${String(e)}\n${msgs}`);
      });
    c.pending.set(key, pending);
  }
  return pending;
}

/** Number of cached pipelines for a device (tests check that device loss empties it). */
export function cachedPipelineCount(device: GPUDevice): number {
  return caches.get(device)?.pipelines.size ?? 0;
}

// ---------------------------------------------------------------------------------------------------
// WGSL preprocessor: lines `//#if NAME`, `//#if !NAME`, `//#else`, `//#endif` (nestable). Everything
// else passes through. Kept deliberately tiny: variants differ only in storage types and accessors.
// `consts` rewrites module-scope `const NAME: u32 = ...;` lines (for sizes that must be compile-time
// constants, e.g. function-scope array lengths, which WGSL `override`s cannot give).

export function preprocessWgsl(src: string, defines: Record<string, boolean>, consts: Record<string, number> = {}): string {
  for (const [name, value] of Object.entries(consts)) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`preprocessWgsl: const ${name} = ${value} is not a u32`);
    const re = new RegExp(`^const\\s+${name}\\s*:\\s*u32\\s*=\\s*[^;]*;`, 'm');
    if (!re.test(src)) throw new Error(`preprocessWgsl: no 'const ${name}: u32 = ...;' line to set`);
    src = src.replace(re, `const ${name}: u32 = ${value}u;`);
  }
  const out: string[] = [];
  const stack: { active: boolean; parentActive: boolean; sawElse: boolean }[] = [];
  const active = () => (stack.length === 0 ? true : stack[stack.length - 1].active);
  const lines = src.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n];
    const t = line.trim();
    const mIf = /^\/\/#if\s+(!?)([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(t);
    if (mIf) {
      if (!(mIf[2] in defines)) throw new Error(`preprocessWgsl: line ${n + 1}: '${mIf[2]}' is not defined`);
      const cond = mIf[1] === '!' ? !defines[mIf[2]] : defines[mIf[2]];
      const parentActive = active();
      stack.push({ active: parentActive && cond, parentActive, sawElse: false });
      out.push('');
      continue;
    }
    if (t === '//#else') {
      const top = stack[stack.length - 1];
      if (!top || top.sawElse) throw new Error(`preprocessWgsl: line ${n + 1}: stray //#else`);
      top.sawElse = true;
      top.active = top.parentActive && !top.active;
      out.push('');
      continue;
    }
    if (t === '//#endif') {
      if (!stack.pop()) throw new Error(`preprocessWgsl: line ${n + 1}: stray //#endif`);
      out.push('');
      continue;
    }
    // Keep line numbers identical to the .wgsl file so compiler messages point at the right line.
    out.push(active() ? line : '');
  }
  if (stack.length) throw new Error('preprocessWgsl: unterminated //#if');
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------------
// Uniform structs. Each kernel declares exactly one `struct Params { a: u32, b: f32, ... }` of 4-byte
// scalars in its .wgsl; the wrapper packs a typed object into it. Reading the field order from the WGSL
// source means a field added to the shader but not to the TS object is a thrown error, never garbage.

export type ScalarType = 'u32' | 'i32' | 'f32';

export interface UniformLayout {
  fields: { name: string; type: ScalarType }[];
  /** Byte size rounded up to 16 (uniform buffer bindings want 16-byte multiples). */
  byteSize: number;
}

export function uniformLayout(wgsl: string, structName = 'Params'): UniformLayout {
  const m = new RegExp(`struct\\s+${structName}\\s*\\{([^}]*)\\}`).exec(wgsl);
  if (!m) throw new Error(`uniformLayout: struct ${structName} not found`);
  const fields: UniformLayout['fields'] = [];
  const body = m[1].split('\n').map((l) => l.replace(/\/\/.*$/, '')).join('\n');
  for (const raw of body.split(/[,\n]/)) {
    const line = raw.trim();
    if (!line) continue;
    const f = /^([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(u32|i32|f32)$/.exec(line);
    if (!f) throw new Error(`uniformLayout: unsupported field '${line}' in struct ${structName} (4-byte scalars only)`);
    fields.push({ name: f[1], type: f[2] as ScalarType });
  }
  return { fields, byteSize: Math.max(16, Math.ceil((fields.length * 4) / 16) * 16) };
}

export function packUniforms<T extends object>(layout: UniformLayout, values: T): ArrayBuffer {
  const buf = new ArrayBuffer(layout.byteSize);
  const dv = new DataView(buf);
  const rec = values as Record<string, unknown>;
  layout.fields.forEach((f, i) => {
    const v = rec[f.name];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new Error(`packUniforms: field '${f.name}' is ${String(v)} (expected a finite number)`);
    }
    if (f.type === 'f32') dv.setFloat32(i * 4, v, true);
    else if (f.type === 'u32') {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`packUniforms: '${f.name}' = ${v} is not a u32`);
      dv.setUint32(i * 4, v, true);
    } else {
      if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new Error(`packUniforms: '${f.name}' = ${v} is not an i32`);
      dv.setInt32(i * 4, v, true);
    }
  });
  const extra = Object.keys(rec).filter((k) => !layout.fields.some((f) => f.name === k));
  if (extra.length) throw new Error(`packUniforms: fields not in the WGSL struct: ${extra.join(', ')}`);
  return buf;
}
