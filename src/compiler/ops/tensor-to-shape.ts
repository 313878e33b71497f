/**
 * Shapes and tensors:
 * - tensor_to_shape(t): reads an int tensor's values at run time and binds them to fresh symbolic variables
 *   (attr `vars`, one per element), giving a shape. Lowered to the `vm.tensor_to_shape` builtin; it defines
 *   symbolic vars, so it must never be removed while any of them is used.
 * - shape_to_tensor(s): the values of a shape (int64 exprs over symbolic vars, possibly comparisons or casts)
 *   as a tensor; attrs dtype and shape (the tensor's concrete shape, whose element count is the number of values).
 *   The importer uses it when a kernel consumes a shape computation (`Shape` of a tensor with symbolic dims).
 *   Its kernel is a list of stores (opaque, never fused): it reads symbolic vars that no buffer shape carries.
 */
import type { DType } from '../../formats/dtype.js';
import { numel } from '../../formats/tensor.js';
import { cast, freeVars, int, ivar } from '../tir/expr.js';
import type { Stmt } from '../tir/types.js';
import { buffer } from './compute.js';
import type { OpDef } from './registry.js';
import { expectArgs, shapeError, shapeText, tensor, tensorArg, type TensorInfo } from './shape-util.js';
import { unravel } from './transform.js';

export const SHAPE_OPS: readonly OpDef[] = [{
  name: 'tensor_to_shape',
  pattern: () => 'opaque',
  infer(args, attrs) {
    expectArgs('tensor_to_shape', args, 1);
    const t = tensorArg('tensor_to_shape', args, 0);
    if (t.dtype !== 'int64' && t.dtype !== 'int32') throw shapeError(`tensor_to_shape: needs an int64/int32 tensor, got ${t.dtype}`);
    const vars = attrs.vars;
    if (!Array.isArray(vars) || vars.some((v) => typeof v !== 'string')) throw shapeError('tensor_to_shape: attribute vars must list variable names');
    const n = t.shape.length === 0 ? 1 : t.shape.length === 1 && t.shape[0]!.k === 'int' ? t.shape[0]!.value : undefined;
    if (t.shape.length > 1 || (n !== undefined && n !== vars.length)) {
      throw shapeError(`tensor_to_shape: a tensor of shape ${shapeText(t.shape)} cannot bind ${vars.length} variable(s)`);
    }
    return { k: 'shape', values: (vars as string[]).map((v) => ivar(v)) };
  },
}, {
  name: 'shape_to_tensor',
  pattern: () => 'opaque',
  infer(args, attrs) {
    expectArgs('shape_to_tensor', args, 1);
    const s = args[0]!;
    if (s.k !== 'shape') throw shapeError('shape_to_tensor: the argument must be a shape');
    const shape = attrs.shape, dtype = attrs.dtype;
    if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || d < 0) || numel(shape as number[]) !== s.values.length) {
      throw shapeError(`shape_to_tensor: attribute shape must be a concrete shape holding ${s.values.length} element(s)`);
    }
    if (typeof dtype !== 'string') throw shapeError('shape_to_tensor: attribute dtype must name a dtype');
    return tensor(dtype as DType, (shape as number[]).map((d) => int(d)));
  },
  legalize(ctx) {
    const s = ctx.args[0] as Extract<typeof ctx.args[0], { k: 'shape' }>, o = ctx.out as TensorInfo;
    const T = buffer('T_shape', o.dtype, o.shape);
    const stores: Stmt[] = s.values.map((e, i) => ({ k: 'store', buffer: T.name, indices: unravel(int(i), o.shape), value: cast(e, o.dtype) }));
    const vars = [...new Set(s.values.flatMap((e) => freeVars(e)))].sort();
    return { k: 'prim_func', name: ctx.name, params: [T], vars, body: { k: 'seq', body: stores }, attrs: { pattern: 'opaque' } };
  },
}];
