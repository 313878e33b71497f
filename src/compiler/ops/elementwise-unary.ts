/**
 * One-input elementwise ops: math functions, activations (relu, elu, leaky_relu, hard_sigmoid, hard_swish, gelu,
 * softplus), predicates (isnan, isinf), logical_not and identity. Each op's expression is built here; the
 * backends only map TIR math functions. Float-only ops compute in their own dtype (float16/bfloat16 compute in
 * float32 on the C-like backends and round on store).
 */
import type { Attrs } from '../ir/types.js';
import { bin, call, cmp, int, max, min, select } from '../tir/expr.js';
import type { DType, Expr, MathFn } from '../tir/types.js';
import { lit } from './compute.js';
import { elementwise, numberAttr, unary, type DTypeClass } from './elementwise-build.js';
import type { OpDef } from './registry.js';
import { shapeError } from './shape-util.js';

const mul = (a: Expr, b: Expr): Expr => bin('mul', a, b);
const addE = (a: Expr, b: Expr): Expr => bin('add', a, b);
const subE = (a: Expr, b: Expr): Expr => bin('sub', a, b);

/** A unary op that is one TIR math function. */
const math = (name: string, fn: MathFn, dtypes: DTypeClass = 'float'): OpDef =>
  unary(name, dtypes, (x, dt) => call(fn, [x], dt));

const SQRT1_2 = Math.SQRT1_2;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

function gelu(x: Expr, dt: DType, attrs: Attrs): Expr {
  const half = lit(0.5, dt), one = lit(1, dt);
  if (attrs.approximate === 'tanh') {
    // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    const inner = mul(lit(SQRT_2_OVER_PI, dt), addE(x, mul(lit(0.044715, dt), mul(mul(x, x), x))));
    return mul(mul(half, x), addE(one, call('tanh', [inner], dt)));
  }
  // 0.5 x (1 + erf(x / sqrt 2))
  return mul(mul(half, x), addE(one, call('erf', [mul(x, lit(SQRT1_2, dt))], dt)));
}

/** log(1 + exp(x)) without overflow: max(x, 0) + log(1 + exp(-|x|)). */
function softplus(x: Expr, dt: DType): Expr {
  const e = call('exp', [call('neg', [call('abs', [x], dt)], dt)], dt);
  return addE(max(x, lit(0, dt)), call('log', [addE(lit(1, dt), e)], dt));
}

/** max(0, min(1, alpha x + beta)). */
const hardSigmoid = (x: Expr, dt: DType, alpha: number, beta: number): Expr =>
  max(lit(0, dt), min(lit(1, dt), addE(mul(lit(alpha, dt), x), lit(beta, dt))));

function isinf(x: Expr, attrs: Attrs): Expr {
  const pos = attrs.detect_positive !== 0, neg = attrs.detect_negative !== 0;
  const dt = x.dtype;
  if (pos && neg) return call('isinf', [x], 'bool');
  if (pos) return cmp('eq', x, lit(Infinity, dt));
  if (neg) return cmp('eq', x, lit(-Infinity, dt));
  return int(0, 'bool');
}

export const UNARY_OPS: readonly OpDef[] = [
  math('abs', 'abs', 'numeric'),
  math('neg', 'neg', 'numeric'),
  math('sign', 'sign', 'numeric'),
  math('exp', 'exp'),
  math('log', 'log'),
  math('sqrt', 'sqrt'),
  math('rsqrt', 'rsqrt'),
  math('sin', 'sin'),
  math('cos', 'cos'),
  math('tan', 'tan'),
  math('asin', 'asin'),
  math('acos', 'acos'),
  math('atan', 'atan'),
  math('sinh', 'sinh'),
  math('cosh', 'cosh'),
  math('asinh', 'asinh'),
  math('acosh', 'acosh'),
  math('atanh', 'atanh'),
  math('tanh', 'tanh'),
  math('sigmoid', 'sigmoid'),
  math('erf', 'erf'),
  math('floor', 'floor'),
  math('ceil', 'ceil'),
  math('round', 'round'), // half to even
  math('reciprocal', 'reciprocal'),
  unary('relu', 'numeric', (x, dt) => max(x, lit(0, dt))),
  unary('softplus', 'float', softplus),
  unary('softsign', 'float', (x, dt) => bin('div', x, addE(lit(1, dt), call('abs', [x], dt)))),
  unary('elu', 'float', (x, dt, a) => select(cmp('lt', x, lit(0, dt)),
    mul(lit(numberAttr('elu', a, 'alpha', 1), dt), subE(call('exp', [x], dt), lit(1, dt))), x)),
  unary('selu', 'float', (x, dt, a) => mul(lit(numberAttr('selu', a, 'gamma', 1.0507009873554805), dt),
    select(cmp('le', x, lit(0, dt)), mul(lit(numberAttr('selu', a, 'alpha', 1.6732632423543772), dt), subE(call('exp', [x], dt), lit(1, dt))), x))),
  unary('leaky_relu', 'float', (x, dt, a) => select(cmp('lt', x, lit(0, dt)), mul(lit(numberAttr('leaky_relu', a, 'alpha', 0.01), dt), x), x)),
  unary('thresholded_relu', 'float', (x, dt, a) => select(cmp('gt', x, lit(numberAttr('thresholded_relu', a, 'alpha', 1), dt)), x, lit(0, dt))),
  unary('hard_sigmoid', 'float', (x, dt, a) => hardSigmoid(x, dt, numberAttr('hard_sigmoid', a, 'alpha', 0.2), numberAttr('hard_sigmoid', a, 'beta', 0.5))),
  unary('hard_swish', 'float', (x, dt) => mul(x, hardSigmoid(x, dt, 1 / 6, 0.5))),
  unary('gelu', 'float', gelu, (_d, a) => {
    if (a.approximate !== undefined && a.approximate !== 'none' && a.approximate !== 'tanh') {
      throw shapeError(`gelu: approximate must be 'none' or 'tanh', got ${JSON.stringify(a.approximate)}`);
    }
  }),
  unary('logical_not', 'bool', (x) => call('not', [x], 'bool')),
  unary('bitwise_not', 'int', (x, dt) => call('not', [x], dt)),
  elementwise({ name: 'isnan', arity: 1, dtypes: 'float', outDtype: () => 'bool', expr: (xs) => call('isnan', [xs[0]!], 'bool') }),
  elementwise({ name: 'isinf', arity: 1, dtypes: 'float', outDtype: () => 'bool', expr: (xs, _o, a) => isinf(xs[0]!, a) }),
  unary('identity', 'any', (x) => x),
];

