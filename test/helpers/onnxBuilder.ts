// Builds small ONNX models in tests (browser or Node) with the `onnx-proto` package; returns the file bytes.
//
//   const bytes = buildModel({
//     inputs: [tensor('x', 'float32', ['batch', 3])],
//     outputs: [tensor('y', 'float32', ['batch', 2])],
//     initializers: [initializer('w', [3, 2], w)],              // w: Float32Array (3, 2)
//     nodes: [node('MatMul', ['x', 'w'], ['y'])],
//   });
//
// Dims: a number is fixed, a string is symbolic (dim_param), null is unknown. Attributes are tagged
// (`attr.int(1)`, `attr.float(0.5)`, ...) because a JS number cannot say whether it is an int or a float.
// Custom domains (e.g. com.microsoft) go in `opsets`; a node names its domain with `node(..., { domain })`.

import { onnx } from 'onnx-proto';

export type ElemType = 'float32' | 'float16' | 'int32' | 'int64' | 'uint8' | 'int8' | 'bool';
export type Dim = number | string | null;

const ELEM: Record<ElemType, onnx.TensorProto.DataType> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
  uint8: onnx.TensorProto.DataType.UINT8,
  int8: onnx.TensorProto.DataType.INT8,
  bool: onnx.TensorProto.DataType.BOOL,
};

export interface ValueSpec { name: string; type: ElemType; dims: Dim[] }

/** A graph input or output. */
export function tensor(name: string, type: ElemType, dims: Dim[]): ValueSpec {
  return { name, type, dims };
}

/** Raw little-endian values of an initializer; float16 values are passed as their bit patterns (Uint16Array). */
export type InitData = Float32Array | Uint16Array | Int32Array | BigInt64Array | Uint8Array | Int8Array;

export interface InitializerSpec { name: string; type: ElemType; dims: number[]; data: InitData }

const TYPE_OF_ARRAY = (data: InitData): ElemType => {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Uint16Array) return 'float16';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int8Array) return 'int8';
  return 'uint8';
};

/** A constant tensor stored in the model. `type` defaults from the array (Uint16Array means float16). */
export function initializer(name: string, dims: number[], data: InitData, type: ElemType = TYPE_OF_ARRAY(data)): InitializerSpec {
  const count = dims.reduce((a, b) => a * b, 1);
  if (data.length !== count) throw new RangeError(`initializer ${name}: ${data.length} values for dims (${dims.join(', ')}) = ${count}`);
  return { name, type, dims, data };
}

export type AttrValue =
  | { kind: 'int'; value: number } | { kind: 'float'; value: number } | { kind: 'string'; value: string }
  | { kind: 'ints'; value: number[] } | { kind: 'floats'; value: number[] } | { kind: 'tensor'; value: InitializerSpec };

export const attr = {
  int: (value: number): AttrValue => ({ kind: 'int', value }),
  float: (value: number): AttrValue => ({ kind: 'float', value }),
  string: (value: string): AttrValue => ({ kind: 'string', value }),
  ints: (value: number[]): AttrValue => ({ kind: 'ints', value }),
  floats: (value: number[]): AttrValue => ({ kind: 'floats', value }),
  tensor: (value: InitializerSpec): AttrValue => ({ kind: 'tensor', value }),
};

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  /** '' (default ONNX domain) or e.g. 'com.microsoft'. */
  domain?: string;
  attrs?: Record<string, AttrValue>;
}

export function node(op: string, inputs: string[], outputs: string[], extra: Omit<NodeSpec, 'op' | 'inputs' | 'outputs'> = {}): NodeSpec {
  return { op, inputs, outputs, ...extra };
}

export interface ModelSpec {
  nodes: NodeSpec[];
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  initializers?: InitializerSpec[];
  /** Default-domain opset (default 17). */
  opset?: number;
  /** Extra domains and their versions, e.g. { 'com.microsoft': 1 }. */
  opsets?: Record<string, number>;
  /** Default 8 (what onnx-proto's schema, ONNX 1.10, describes); ORT 1.30 accepts up to 11. */
  irVersion?: number;
  graphName?: string;
}

function valueInfo(v: ValueSpec): onnx.IValueInfoProto {
  const dim = v.dims.map((d): onnx.TensorShapeProto.IDimension =>
    typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {});
  return { name: v.name, type: { tensorType: { elemType: ELEM[v.type], shape: { dim } } } };
}

function tensorProto(t: InitializerSpec): onnx.ITensorProto {
  const raw = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength).slice();
  return { name: t.name, dims: t.dims, dataType: ELEM[t.type], rawData: raw };
}

function attribute(name: string, a: AttrValue): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case 'int': return { name, type: T.INT, i: a.value };
    case 'float': return { name, type: T.FLOAT, f: a.value };
    case 'string': return { name, type: T.STRING, s: new TextEncoder().encode(a.value) };
    case 'ints': return { name, type: T.INTS, ints: a.value };
    case 'floats': return { name, type: T.FLOATS, floats: a.value };
    case 'tensor': return { name, type: T.TENSOR, t: tensorProto(a.value) };
  }
}

/** Encodes the model as ONNX protobuf bytes. */
export function buildModel(spec: ModelSpec): Uint8Array {
  const opsetImport: onnx.IOperatorSetIdProto[] = [{ domain: '', version: spec.opset ?? 17 }];
  for (const [domain, version] of Object.entries(spec.opsets ?? {})) opsetImport.push({ domain, version });
  const model: onnx.IModelProto = {
    irVersion: spec.irVersion ?? 8,
    producerName: 'fwd2bot-web test/helpers/onnxBuilder',
    opsetImport,
    graph: {
      name: spec.graphName ?? 'test_graph',
      node: spec.nodes.map((n, i) => ({
        opType: n.op, input: n.inputs, output: n.outputs, name: n.name ?? `${n.op}_${i}`, domain: n.domain ?? '',
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
      })),
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
      initializer: (spec.initializers ?? []).map(tensorProto),
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

// ---- ready-made graphs other tests reuse ----

/** Deterministic pseudo-random floats in [-scale, scale) (xorshift32), so tests need no fixtures. */
export function randomFloats(n: number, seed: number, scale = 1): Float32Array<ArrayBuffer> {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = (s / 0x100000000 * 2 - 1) * scale;
  }
  return out;
}

/** y = Relu(x @ w + b): x (batch, k) -> y (batch, n); w (k, n), b (n,). */
export function matMulAddReluModel(w: Float32Array, b: Float32Array, k: number, n: number): Uint8Array {
  return buildModel({
    inputs: [tensor('x', 'float32', ['batch', k])],
    outputs: [tensor('y', 'float32', ['batch', n])],
    initializers: [initializer('w', [k, n], w), initializer('b', [n], b)],
    nodes: [node('MatMul', ['x', 'w'], ['xw']), node('Add', ['xw', 'b'], ['xwb']), node('Relu', ['xwb'], ['y'])],
  });
}

/** y = Softmax(x, axis=-1): x (rows, cols). */
export function softmaxModel(cols: number): Uint8Array {
  return buildModel({
    inputs: [tensor('x', 'float32', ['rows', cols])],
    outputs: [tensor('y', 'float32', ['rows', cols])],
    nodes: [node('Softmax', ['x'], ['y'], { attrs: { axis: attr.int(-1) } })],
  });
}
