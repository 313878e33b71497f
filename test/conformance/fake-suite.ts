/**
 * A small fake suite in the onnx-node layout, written with relax's own ONNX writer:
 *   test_add_pass      Add, correct expected output                    → passes
 *   test_add_mismatch  Add, expected output off by one in one element  → fails (mismatch)
 *   test_reshape_bind  Reshape with its `shape` as a graph input       → passes with `shape` bound at build time
 *   test_nosuchop      an op no converter handles                      → rejected (RLX_ONNX_UNSUPPORTED)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeTensorProto } from '../../src/formats/tensor-proto.js';
import { fromTyped, type HostTensor } from '../../src/formats/tensor.js';
import { buildModel, type NodeSpec, type VISpec } from '../frontend/onnx-builder.js';

const f32 = (shape: number[], v: number[]): HostTensor => fromTyped('float32', shape, new Float32Array(v));
const i64 = (v: number[]): HostTensor => fromTyped('int64', [v.length], new BigInt64Array(v.map(BigInt)));

interface Case {
  nodes: NodeSpec[];
  inputs: (VISpec & { value: HostTensor })[];
  outputs: (VISpec & { value: HostTensor })[];
}

function writeCase(root: string, name: string, c: Case): void {
  const dir = join(root, name);
  mkdirSync(join(dir, 'test_data_set_0'), { recursive: true });
  writeFileSync(join(dir, 'model.onnx'), buildModel({ opset: 17, nodes: c.nodes, inputs: c.inputs, outputs: c.outputs }));
  c.inputs.forEach((x, i) => writeFileSync(join(dir, 'test_data_set_0', `input_${i}.pb`), encodeTensorProto(x.value, x.name)));
  c.outputs.forEach((x, i) => writeFileSync(join(dir, 'test_data_set_0', `output_${i}.pb`), encodeTensorProto(x.value, x.name)));
}

export const FAKE_TESTS = ['test_add_mismatch', 'test_add_pass', 'test_nosuchop', 'test_reshape_bind'] as const;

/** Writes the suite into `root` (with or without an INDEX.tsv). */
export function writeFakeSuite(root: string, opts: { index?: boolean } = {}): void {
  const x = f32([2, 3], [1, 2, 3, 4, 5, 6]);
  const y = f32([2, 3], [0.5, -1, 2, 0, 1e-3, 100]);
  const sum = f32([2, 3], [1.5, 1, 5, 4, 5.001, 106]);
  const addNode: NodeSpec[] = [{ op: 'Add', inputs: ['x', 'y'], outputs: ['sum'] }];
  const addInputs = [{ name: 'x', dtype: 'float32' as const, dims: [2, 3], value: x }, { name: 'y', dtype: 'float32' as const, dims: [2, 3], value: y }];
  writeCase(root, 'test_add_pass', { nodes: addNode, inputs: addInputs, outputs: [{ name: 'sum', dtype: 'float32', dims: [2, 3], value: sum }] });
  writeCase(root, 'test_add_mismatch', {
    nodes: addNode, inputs: addInputs,
    outputs: [{ name: 'sum', dtype: 'float32', dims: [2, 3], value: f32([2, 3], [1.5, 1, 5, 5, 5.001, 106]) }],
  });
  writeCase(root, 'test_reshape_bind', {
    nodes: [{ op: 'Reshape', inputs: ['data', 'shape'], outputs: ['reshaped'] }],
    inputs: [{ name: 'data', dtype: 'float32', dims: [2, 3], value: x }, { name: 'shape', dtype: 'int64', dims: [2], value: i64([3, 2]) }],
    outputs: [{ name: 'reshaped', dtype: 'float32', dims: [3, 2], value: f32([3, 2], [1, 2, 3, 4, 5, 6]) }],
  });
  writeCase(root, 'test_nosuchop', {
    nodes: [{ op: 'NoSuchOp', inputs: ['x'], outputs: ['z'] }],
    inputs: [{ name: 'x', dtype: 'float32', dims: [2, 3], value: x }],
    outputs: [{ name: 'z', dtype: 'float32', dims: [2, 3], value: x }],
  });
  if (opts.index) {
    const rows = [['test', 'op', 'opset'], ['test_add_mismatch', 'Add', '17'], ['test_add_pass', 'Add', '17'], ['test_nosuchop', 'NoSuchOp', '17'], ['test_reshape_bind', 'Reshape', '17']];
    writeFileSync(join(root, 'INDEX.tsv'), `${rows.map((r) => r.join('\t')).join('\n')}\n`);
  }
}
