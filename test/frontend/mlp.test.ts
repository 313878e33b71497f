import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { importOnnx } from '../../src/compiler/frontend/onnx/import.js';
import { printModule } from '../../src/compiler/ir/printer.js';
import type { Value } from '../../src/compiler/ir/types.js';
import { decodeTensorProto } from '../../src/formats/tensor-proto.js';
import { compare, evaluate } from './evaluate.js';
import { SHARED } from '../shared-dir.js';

const DIR = `${SHARED}/models/mlp`;
const modelPath = `${DIR}/model.onnx`;

describe('mlp model', () => {
  const mod = importOnnx(readFileSync(modelPath), { modelPath, modelName: 'mlp' });
  const main = mod.functions.main!;
  const bindings = main.blocks.flatMap((b) => b.bindings);

  test('graph: symbolic batch, Gemm decomposed, Clip bounds baked in', () => {
    expect(main.params).toEqual([{ name: 'x', sinfo: { k: 'tensor', dtype: 'float32', shape: [{ k: 'var', name: 'batch', dtype: 'int64' }, { k: 'int', value: 512, dtype: 'int64' }] } }]);
    const ops = bindings.map((b) => (b.value as Extract<Value, { k: 'op' }>).op);
    expect(ops).toEqual(['transpose', 'matmul', 'add', 'clip', 'transpose', 'matmul', 'add']);
    const clip = bindings.find((b) => b.value.k === 'op' && b.value.op === 'clip')!;
    expect((clip.value as Extract<Value, { k: 'op' }>).attrs).toEqual({ min: 0, max: 6 });
    expect(clip.origin).toEqual({ node: '/Clip', op: 'Clip', opset: 17 });
    expect(bindings[0]!.origin?.op).toBe('Gemm');
    // Weights stay constants; the Clip bound constants were only used at import time.
    expect(Object.keys(mod.constants).sort()).toEqual(['l1.bias', 'l1.weight', 'l2.bias', 'l2.weight']);
    expect(main.retNames).toEqual(['output']);
    const last = bindings[bindings.length - 1]!;
    expect(last.sinfo).toEqual({ k: 'tensor', dtype: 'float32', shape: [{ k: 'var', name: 'batch', dtype: 'int64' }, { k: 'int', value: 512, dtype: 'int64' }] });
    expect(mod.attrs).toMatchObject({ opset: 17, source: 'model.onnx' });
    const text = printModule(mod);
    expect(text).toContain('def main(x: R.Tensor((batch, 512), "float32"))');
    expect(text).toContain('R.clip(');
  });

  test('import is deterministic', () => {
    const again = importOnnx(readFileSync(modelPath), { modelPath, modelName: 'mlp' });
    expect(printModule(again)).toBe(printModule(mod));
  });

  test('numerics: legalized kernels interpreted on test_data_set_0 (batch 8) match onnxruntime', () => {
    const x = decodeTensorProto(readFileSync(`${DIR}/test_data_set_0/input_0.pb`)).tensor;
    const want = decodeTensorProto(readFileSync(`${DIR}/test_data_set_0/output_0.pb`)).tensor;
    expect(x.shape).toEqual([8, 512]);
    const [got] = evaluate(mod, [x]);
    expect(compare(got!, want, 1e-3, 1e-4)).toBeUndefined();
  }, 60_000);
});
