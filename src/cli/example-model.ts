/**
 * A small deterministic ONNX model, written with relax's own ONNX schema: x[batch, inputs] → Gemm → Clip(0, 6) →
 * Gemm → y[batch, outputs]. Weights come from a fixed-seed LCG, so the same options give the same bytes every
 * time. The defaults reproduce examples/models/tiny_mlp.onnx and templates/default/models/mlp.onnx (a test
 * checks both); tests and bench/ use other seeds and sizes for distinct models.
 */
import { onnxType } from '../compiler/frontend/onnx/schema.js';

export interface ExampleMlpOptions {
  /** LCG seed for the weights (default 12345). */
  readonly seed?: number;
  readonly inputs?: number;
  readonly hidden?: number;
  readonly outputs?: number;
  /** The graph's name (default 'tiny_mlp'). */
  readonly name?: string;
  /** Stored as ModelProto.doc_string when given (changes the bytes, not the computation). */
  readonly docString?: string;
}

export function exampleMlp(opts: ExampleMlpOptions = {}): Uint8Array {
  const { inputs = 16, hidden = 32, outputs = 8, name = 'tiny_mlp' } = opts;
  let seed = opts.seed ?? 12345;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const tensor = (n: string, dims: number[]) => {
    const f = new Float32Array(dims.reduce((a, b) => a * b, 1)).map(() => rand() * 0.25);
    return { name: n, dims, data_type: 1, raw_data: new Uint8Array(f.buffer) };
  };
  const scalar = (n: string, v: number) => ({ name: n, dims: [], data_type: 1, raw_data: new Uint8Array(new Float32Array([v]).buffer) });
  const vi = (n: string, dims: (number | string)[]) => ({
    name: n,
    type: { tensor_type: { elem_type: 1, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } },
  });
  const transB = [{ name: 'transB', type: 2, i: 1 }];
  const model = {
    ir_version: 8, producer_name: 'relax-examples', opset_import: [{ domain: '', version: 17 }],
    ...(opts.docString !== undefined ? { doc_string: opts.docString } : {}),
    graph: {
      name,
      input: [vi('x', ['batch', inputs])], output: [vi('y', ['batch', outputs])],
      initializer: [tensor('w1', [hidden, inputs]), tensor('b1', [hidden]), tensor('w2', [outputs, hidden]), tensor('b2', [outputs]), scalar('lo', 0), scalar('hi', 6)],
      node: [
        { name: 'fc1', op_type: 'Gemm', input: ['x', 'w1', 'b1'], output: ['h'], attribute: transB },
        { name: 'relu6', op_type: 'Clip', input: ['h', 'lo', 'hi'], output: ['a'] },
        { name: 'fc2', op_type: 'Gemm', input: ['a', 'w2', 'b2'], output: ['y'], attribute: transB },
      ],
    },
  };
  const T = onnxType('ModelProto');
  return T.encode(T.fromObject(model)).finish();
}
