/**
 * FoldConstant: a `call_tir` whose inputs are all constants is evaluated at compile time with the reference TIR
 * interpreter and replaced by a new constant (e.g. the transpose of a Gemm weight). Outputs larger than
 * FOLD_LIMIT elements are left alone to keep builds fast and artifacts small.
 */
import { byteLength, numel, type HostTensor } from '../../formats/tensor.js';
import type { Binding, IRModule, Value } from '../ir/types.js';
import { freshName, mapFunctions } from '../ir/util.js';
import { interpretPrimFunc } from '../tir/interpret.js';
import type { Pass } from './pass.js';
import { pruneUnreferenced } from './dead-code-elimination.js';

export const FOLD_LIMIT = 1 << 22;

export const foldConstant: Pass = {
  name: 'FoldConstant',
  description: 'evaluate tensor functions whose inputs are all constants at compile time',
  run(mod, ctx) {
    const constants: Record<string, HostTensor> = { ...mod.constants };
    const names = new Set(Object.keys(constants));
    const out = mapFunctions(mod, (f) => ({
      ...f,
      blocks: f.blocks.map((blk) => ({
        ...blk,
        bindings: blk.bindings.map((b): Binding => {
          const folded = tryFold(mod, b, constants);
          if (!folded) return b;
          const name = freshName(`${b.var}_folded`, names);
          names.add(name);
          constants[name] = folded;
          ctx.note('fold', { binding: b.var, kernel: (b.value as Extract<Value, { k: 'call_tir' }>).fn });
          return { ...b, value: { k: 'atom', atom: { k: 'const', name } } };
        }),
      })),
    }));
    return pruneUnreferenced({ ...out, constants });
  },
};

function tryFold(mod: IRModule, b: Binding, constants: Record<string, HostTensor>): HostTensor | null {
  const v = b.value;
  if (v.k !== 'call_tir' || v.args.length === 0 || !v.args.every((a) => a.k === 'const')) return null;
  if (b.sinfo.k !== 'tensor') return null;
  const shape: number[] = [];
  for (const d of b.sinfo.shape) { if (d.k !== 'int') return null; shape.push(d.value); }
  if (numel(shape) > FOLD_LIMIT) return null;
  const fn = mod.tir[v.fn];
  if (!fn || fn.vars.length > 0) return null;
  const inputs = v.args.map((a) => constants[(a as { name: string }).name]!);
  const output: HostTensor = { dtype: b.sinfo.dtype, shape, data: new Uint8Array(byteLength(b.sinfo.dtype, shape)) };
  interpretPrimFunc(fn, [...inputs, output], {});
  return output;
}
