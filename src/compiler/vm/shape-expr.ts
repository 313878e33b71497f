/** TIR int expressions → the VM's ShapeExpr format (plain JSON the runtime evaluates). */
import { RelaxError } from '../../diagnostics/index.js';
import type { ShapeExpr, ShapeOp } from '../../formats/vm.js';
import type { Expr } from '../tir/types.js';

const OPS: Partial<Record<string, ShapeOp>> = { add: '+', sub: '-', mul: '*', floordiv: 'floordiv', floormod: 'floormod', min: 'min', max: 'max' };

export function toShapeExpr(e: Expr): ShapeExpr {
  if (e.k === 'int') return e.value;
  if (e.k === 'var') return e.name;
  if (e.k === 'bin' && OPS[e.op]) return [OPS[e.op]!, toShapeExpr(e.a), toShapeExpr(e.b)];
  throw new RelaxError('RLX_SHAPE_UNSUPPORTED', `shape expression of kind '${e.k}' cannot be evaluated by the VM`);
}
