// Writes examples/models/tiny_mlp.onnx with relax's own ONNX schema (src/compiler/frontend/onnx/schema.ts):
// x[batch, 16] → Gemm(16→32) → Clip(0, 6) → Gemm(32→8) → y[batch, 8]. Weights from a fixed-seed LCG,
// so the file is byte-identical every time. Run after `npm run build:ts`: `node examples/make-tiny-mlp.mjs`.
import { writeFileSync } from 'node:fs';
import { onnxType } from '../dist/compiler/frontend/onnx/schema.js';

let seed = 12345;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
const tensor = (name, dims) => {
  const n = dims.reduce((a, b) => a * b, 1);
  const f = new Float32Array(n).map(() => rand() * 0.25);
  return { name, dims, data_type: 1, raw_data: new Uint8Array(f.buffer) };
};
const scalar = (name, v) => ({ name, dims: [], data_type: 1, raw_data: new Uint8Array(new Float32Array([v]).buffer) });
const vi = (name, dims) => ({ name, type: { tensor_type: { elem_type: 1, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } } });
const model = {
  ir_version: 8, producer_name: 'relax-examples', opset_import: [{ domain: '', version: 17 }],
  graph: {
    name: 'tiny_mlp',
    input: [vi('x', ['batch', 16])], output: [vi('y', ['batch', 8])],
    initializer: [tensor('w1', [32, 16]), tensor('b1', [32]), tensor('w2', [8, 32]), tensor('b2', [8]), scalar('lo', 0), scalar('hi', 6)],
    node: [
      { name: 'fc1', op_type: 'Gemm', input: ['x', 'w1', 'b1'], output: ['h'], attribute: [{ name: 'transB', type: 2, i: 1 }] },
      { name: 'relu6', op_type: 'Clip', input: ['h', 'lo', 'hi'], output: ['a'] },
      { name: 'fc2', op_type: 'Gemm', input: ['a', 'w2', 'b2'], output: ['y'], attribute: [{ name: 'transB', type: 2, i: 1 }] },
    ],
  },
};
const T = onnxType('ModelProto');
writeFileSync(new URL('./models/tiny_mlp.onnx', import.meta.url), T.encode(T.fromObject(model)).finish());
console.log('wrote examples/models/tiny_mlp.onnx');
