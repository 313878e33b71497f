/**
 * Builders for elementwise ops: an n-ary op with numpy broadcasting whose output element is an expression of the
 * input elements. Inputs become buffers A, B, C, ... (in argument order), the output `T_<name>`.
 */
import { isFloat, isInt } from '../../formats/dtype.js';
import type { Attrs, StructInfo } from '../ir/types.js';
import type { DType, Expr, OpPattern } from '../tir/types.js';
import { at, buffer, compute, primFunc } from './compute.js';
import type { LegalizeCtx, OpDef } from './registry.js';
import { broadcastIndex, broadcastShapes, shapeError, tensor, tensorArg, type TensorInfo } from './shape-util.js';

/** Which dtypes an op accepts. */
export type DTypeClass = 'float' | 'numeric' | 'int' | 'bool' | 'any';

export function accepts(cls: DTypeClass, d: DType): boolean {
  switch (cls) {
    case 'float': return isFloat(d);
    case 'numeric': return d !== 'bool';
    case 'int': return isInt(d);
    case 'bool': return d === 'bool';
    case 'any': return true;
  }
}

const CLASS_TEXT: Record<DTypeClass, string> = {
  float: 'a floating-point', numeric: 'a numeric (non-bool)', int: 'an integer', bool: 'a bool', any: 'any',
};

export function checkDtype(op: string, what: string, cls: DTypeClass, d: DType): void {
  if (!accepts(cls, d)) {
    throw shapeError(`${op}: ${what} must have ${CLASS_TEXT[cls]} dtype, got ${d}`,
      cls === 'float' ? 'Insert a Cast to float32 before this op.' : undefined);
  }
}

export interface ElementwiseSpec {
  readonly name: string;
  /** Exact number of inputs, or `{ min }` for variadic ops. */
  readonly arity: number | { readonly min: number };
  /** Accepted dtype class of every input (default 'numeric'); `inputClasses` overrides per input. */
  readonly dtypes?: DTypeClass;
  readonly inputClasses?: readonly DTypeClass[];
  /**
   * Indices of inputs that must share the first checked input's dtype (default: all). Inputs left out (Pow's
   * exponent, Where's condition) may have any dtype of their class.
   */
  readonly sameDtype?: readonly number[];
  /** Output dtype (default: the dtype of input `sameDtype[0]`). */
  readonly outDtype?: (dtypes: readonly DType[], attrs: Attrs) => DType;
  /** Extra attribute checks at inference time. */
  readonly check?: (dtypes: readonly DType[], attrs: Attrs) => void;
  /** The output element from the (broadcast) input elements. */
  readonly expr: (xs: readonly Expr[], out: DType, attrs: Attrs) => Expr;
}

const bufName = (i: number): string => (i < 26 ? String.fromCharCode(65 + i) : `A${i}`);

/**
 * Kernels are exported symbols (C/CUDA functions, WGSL entry points) named after their op by default, and several
 * elementwise ops share a name with a C library function (exp, pow, div, ...) or a WGSL keyword (cast, mod,
 * where): those get a suffix.
 */
const LIBRARY_NAMES = new Set(('abs exp log sqrt rsqrt sin cos tan asin acos atan sinh cosh asinh acosh atanh tanh erf ' +
  'floor ceil round min max pow div cast mod where isnan isinf trunc').split(' '));
export const kernelName = (name: string): string => (LIBRARY_NAMES.has(name) ? `${name}_ew` : name);

export function elementwise(spec: ElementwiseSpec): OpDef {
  const { name } = spec;
  const unaryShape = spec.arity === 1;
  const pattern: OpPattern = unaryShape ? 'elementwise' : 'broadcast';
  const infer = (args: readonly StructInfo[], attrs: Attrs): TensorInfo => {
    const n = args.length;
    if (typeof spec.arity === 'number' ? n !== spec.arity : n < spec.arity.min) {
      throw shapeError(`${name}: expects ${typeof spec.arity === 'number' ? spec.arity : `at least ${spec.arity.min}`} argument(s), got ${n}`);
    }
    const ts = args.map((_, i) => tensorArg(name, args, i));
    ts.forEach((t, i) => checkDtype(name, `input ${i}`, spec.inputClasses?.[i] ?? spec.dtypes ?? 'numeric', t.dtype));
    const same = spec.sameDtype ?? ts.map((_, i) => i);
    const first = ts[same[0] ?? 0]!;
    for (const i of same) {
      const t = ts[i];
      if (t && t.dtype !== first.dtype) {
        throw shapeError(`${name}: operand dtypes differ (${first.dtype} vs ${t.dtype})`, 'Insert a Cast so the operands have the same type.');
      }
    }
    const dtypes = ts.map((t) => t.dtype);
    spec.check?.(dtypes, attrs);
    const shape = ts.slice(1).reduce<readonly Expr[]>((s, t) => broadcastShapes(name, s, t.shape), ts[0]!.shape);
    return tensor(spec.outDtype ? spec.outDtype(dtypes, attrs) : first.dtype, shape);
  };
  return {
    name,
    pattern: () => pattern,
    infer,
    legalize(ctx: LegalizeCtx) {
      const ins = ctx.args as TensorInfo[], o = ctx.out as TensorInfo;
      const bufs = ins.map((t, i) => buffer(bufName(i), t.dtype, t.shape));
      const T = buffer(`T_${name}`, o.dtype, o.shape);
      const body = compute(T, (v) => spec.expr(bufs.map((b, i) => at(b, broadcastIndex(ins[i]!.shape, v, o.shape))), o.dtype, ctx.attrs));
      return primFunc(kernelName(ctx.name), bufs, [T], [body], { pattern });
    },
  };
}

/** A one-input op with the input's dtype and shape. */
export function unary(name: string, dtypes: DTypeClass, expr: (x: Expr, dtype: DType, attrs: Attrs) => Expr,
  check?: (dtype: DType, attrs: Attrs) => void): OpDef {
  return elementwise({
    name, arity: 1, dtypes,
    check: check ? (d, attrs) => check(d[0]!, attrs) : undefined,
    expr: (xs, out, attrs) => expr(xs[0]!, out, attrs),
  });
}

/** A number attribute (the op's converter always sets it). */
export function numberAttr(op: string, attrs: Attrs, key: string, dflt?: number): number {
  const v = attrs[key];
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'number') throw shapeError(`${op}: attribute '${key}' must be a number, got ${JSON.stringify(v)}`);
  return v;
}
