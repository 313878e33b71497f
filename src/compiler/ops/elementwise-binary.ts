/**
 * Broadcasting ops over two or more inputs: arithmetic (add, sub, mul, div, pow, mod), variadic min/max/sum/mean,
 * logical and bitwise ops, comparisons and where.
 *
 * Semantics follow ONNX: integer div truncates towards zero; mod with fmod=0 takes the divisor's sign (floormod),
 * with fmod=1 the dividend's (truncmod); pow of integers is integer power, a float exponent of an integer base is
 * computed in float64 and truncated; min/max propagate NaN.
 */
import { isFloat } from '../../formats/dtype.js';
import type { Attrs } from '../ir/types.js';
import { bin, cast, cmp, select } from '../tir/expr.js';
import type { BinOp, CmpOp, DType, Expr } from '../tir/types.js';
import { lit } from './compute.js';
import { elementwise, type DTypeClass } from './elementwise-build.js';
import type { OpDef } from './registry.js';
import { shapeError } from './shape-util.js';

const binary = (name: string, op: BinOp, dtypes: DTypeClass = 'numeric'): OpDef =>
  elementwise({ name, arity: 2, dtypes, expr: ([a, b]) => bin(op, a!, b!) });

/** Left fold of `op` over one or more inputs. */
const variadic = (name: string, op: BinOp): OpDef =>
  elementwise({ name, arity: { min: 1 }, expr: (xs) => xs.slice(1).reduce((acc, x) => bin(op, acc, x), xs[0]!) });

const compare = (name: string, op: CmpOp, dtypes: DTypeClass = 'any'): OpDef =>
  elementwise({ name, arity: 2, dtypes, outDtype: () => 'bool', expr: ([a, b]) => cmp(op, a!, b!) });

/** x ** y with the base's dtype; the exponent may have another numeric dtype. */
function pow(x: Expr, y: Expr, out: DType): Expr {
  if (isFloat(out)) return bin('pow', x, cast(y, out));
  if (isFloat(y.dtype)) return cast(bin('pow', cast(x, 'float64'), cast(y, 'float64')), out);
  return bin('pow', x, cast(y, out));
}

function mod(a: Expr, b: Expr, attrs: Attrs): Expr {
  return bin(attrs.fmod === 1 ? 'truncmod' : 'floormod', a, b);
}

export const BINARY_OPS: readonly OpDef[] = [
  binary('add', 'add'),
  binary('sub', 'sub'),
  binary('mul', 'mul'),
  binary('div', 'div'),
  elementwise({
    name: 'mod', arity: 2,
    check: (_d, a) => { if (a.fmod !== undefined && a.fmod !== 0 && a.fmod !== 1) throw shapeError(`mod: fmod must be 0 or 1, got ${JSON.stringify(a.fmod)}`); },
    expr: ([a, b], _o, attrs) => mod(a!, b!, attrs),
  }),
  elementwise({ name: 'pow', arity: 2, sameDtype: [0], expr: ([x, y], out) => pow(x!, y!, out) }),
  variadic('min', 'min'),
  variadic('max', 'max'),
  variadic('sum', 'add'),
  elementwise({
    name: 'mean', arity: { min: 1 }, dtypes: 'float',
    expr: (xs, out) => bin('div', xs.slice(1).reduce((acc, x) => bin('add', acc, x), xs[0]!), lit(xs.length, out)),
  }),
  binary('logical_and', 'and', 'bool'),
  binary('logical_or', 'or', 'bool'),
  binary('logical_xor', 'xor', 'bool'),
  binary('bitwise_and', 'and', 'int'),
  binary('bitwise_or', 'or', 'int'),
  binary('bitwise_xor', 'xor', 'int'),
  compare('equal', 'eq'),
  compare('less', 'lt', 'numeric'),
  compare('less_equal', 'le', 'numeric'),
  compare('greater', 'gt', 'numeric'),
  compare('greater_equal', 'ge', 'numeric'),
  elementwise({
    name: 'where', arity: 3, inputClasses: ['bool', 'any', 'any'], sameDtype: [1, 2],
    expr: ([c, x, y]) => select(c!, x!, y!),
  }),
];
