/**
 * tensor_to_shape(t): reads an int tensor's values at run time and binds them to fresh symbolic variables
 * (attr `vars`, one per element), giving a shape. Lowered to the `vm.tensor_to_shape` builtin; it defines
 * symbolic vars, so it must never be removed while any of them is used.
 */
import type { OpDef } from './registry.js';
import { expectArgs, shapeError, shapeText, tensorArg } from './shape-util.js';
import { ivar } from '../tir/expr.js';

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
}];
