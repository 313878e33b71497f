/**
 * Test-only stand-ins for ONNX ops this branch does not convert yet (LayerNormalization, Erf, Where...), so a
 * real model's shape arithmetic can be inspected end to end. Each stub emits an opaque `stub` binding with a
 * plausible struct info (broadcast of the tensor inputs; bool for comparisons; Cast's target type). The result
 * is for inspecting import, never for running.
 */
import { CONVERTERS } from '../../src/compiler/frontend/onnx/converters/index.js';
import type { ConvertCtx, Converter } from '../../src/compiler/frontend/onnx/converters/types.js';
import { ONNX_DTYPE } from '../../src/formats/dtype.js';
import type { Atom, StructInfo } from '../../src/compiler/ir/types.js';
import { broadcastShapes } from '../../src/compiler/ops/shape-util.js';

const BOOL_OPS = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'IsNaN', 'IsInf', 'And', 'Or', 'Not', 'Xor']);

function stub(op: string): Converter {
  return {
    attrs: ['to', 'axis', 'epsilon', 'stash_type', 'approximate'],
    convert(ctx: ConvertCtx) {
      const ins = ctx.node.inputs.map((_, i) => ctx.input(i)).filter((a): a is Atom => a !== undefined);
      const ts = ins.map((a) => ctx.sinfo(a)).filter((s): s is Extract<StructInfo, { k: 'tensor' }> => s.k === 'tensor');
      const first = op === 'Where' ? ts[1]! : ts[0]!;
      const shape = op === 'LayerNormalization' ? first.shape : ts.reduce<readonly import('../../src/compiler/tir/types.js').Expr[]>((s, t) => broadcastShapes(op, s, t.shape), []);
      const to = ctx.attr('to');
      const dtype = op === 'Cast' && to?.type === 'int' ? ONNX_DTYPE[to.value]! : BOOL_OPS.has(op) ? 'bool' : first.dtype;
      ctx.setOutput(0, ctx.emit({ k: 'call_packed', fn: `stub.${op}`, args: ins }, { k: 'tensor', dtype, shape }, 0));
    },
  };
}

/** Installs stubs for the given ops that have no converter; returns a function that removes them. */
export function installStubs(ops: readonly string[]): () => void {
  const table = CONVERTERS as Record<string, Converter>;
  const added = ops.filter((o) => !table[o]);
  for (const o of added) table[o] = stub(o);
  return () => { for (const o of added) delete table[o]; };
}
