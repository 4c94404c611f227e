// The smallest useful ONNX model, encoded by hand so the app needs no protobuf library at run time:
//   graph self_test (x: float32 (2,)) -> y = Add(x, x): float32 (2,)     ir_version 8, opset 13
// ort.ts creates and runs it once to initialise ORT's WebGPU backend (which creates ORT's GPUDevice) and
// to check that the device computes correctly: x = [1.5, -2] must give y = [3, -4].
//
// Field numbers are from onnx.proto (ModelProto, GraphProto, NodeProto, ValueInfoProto, TypeProto, ...).

const utf8 = new TextEncoder();

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128); }
  out.push(n);
  return out;
}

/** One field: wire type 0 (varint) for numbers, 2 (length-delimited) for strings and nested messages. */
function field(num: number, value: number | string | number[]): number[] {
  if (typeof value === 'number') return [...varint((num << 3) | 0), ...varint(value)];
  const bytes = typeof value === 'string' ? [...utf8.encode(value)] : value;
  return [...varint((num << 3) | 2), ...varint(bytes.length), ...bytes];
}

const FLOAT = 1; // TensorProto.DataType.FLOAT

function tensorValueInfo(name: string, dims: number[]): number[] {
  const shape = dims.flatMap((d) => field(1, field(1, d)));          // TensorShapeProto.dim { dim_value }
  const tensorType = [...field(1, FLOAT), ...field(2, shape)];        // TypeProto.Tensor { elem_type, shape }
  return [...field(1, name), ...field(2, field(1, tensorType))];      // ValueInfoProto { name, type { tensor_type } }
}

function encodeSelfTestModel(): Uint8Array {
  const node = [...field(1, 'x'), ...field(1, 'x'), ...field(2, 'y'), ...field(3, 'add'), ...field(4, 'Add')];
  const graph = [
    ...field(1, node), ...field(2, 'self_test'),
    ...field(11, tensorValueInfo('x', [2])), ...field(12, tensorValueInfo('y', [2])),
  ];
  const opset = [...field(1, ''), ...field(2, 13)];
  return new Uint8Array([...field(1, 8), ...field(2, 'fwd2bot-web'), ...field(7, graph), ...field(8, opset)]);
}

/** Input `x`, float32 (2,). */
export const SELF_TEST_INPUT = new Float32Array([1.5, -2]);
/** Expected output `y` = 2x, float32 (2,); exact in fp32. */
export const SELF_TEST_EXPECTED = new Float32Array([3, -4]);

/** A fresh copy each call (ORT may take ownership of the bytes it is given). */
export function selfTestModelBytes(): Uint8Array {
  return encodeSelfTestModel();
}
