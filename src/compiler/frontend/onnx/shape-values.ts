/**
 * Import-time evaluation of shape arithmetic ("known values").
 *
 * A known value is a small tensor whose elements are TIR expressions: literals, or int64 expressions over
 * symbolic dims (`batch`, `seq`) when they come from `Shape` of a tensor with symbolic dims. TorchScript and
 * dynamo exports compute reshape / expand targets with chains like Shape → Gather → Unsqueeze → Concat; when
 * every input of such a node is known, the importer records the node's result as a known value instead of
 * emitting kernels, and shape-reading converters (Reshape, Expand, Slice...) read their targets from it. So
 * symbolic dims stay symbolic through the pipeline and one artifact runs at several sizes.
 *
 * Representation: int tensors hold int64-typed Exprs (the tensor dtype is `dtype`); bool tensors hold bool
 * literals or comparisons; float tensors hold float literals or casts of symbolic ints.
 * Symbolic dims are assumed non-negative, which decides comparisons such as `batch == -1` (the idiom that
 * TorchScript uses for `expand(-1)`). Division of symbolic ints is floor division (equal to ONNX's truncation
 * for non-negative values).
 */
import { isFloat, type DType } from '../../../formats/dtype.js';
import { numel, toNumbers, type HostTensor } from '../../../formats/tensor.js';
import type { StructInfo } from '../../ir/types.js';
import { bin, cast, cmp, exprEqual, int, product, select } from '../../tir/expr.js';
import { normalize } from '../../tir/interpret.js';
import type { CmpOp, Expr } from '../../tir/types.js';
import type { OnnxAttr } from './load.js';
import { tensorFromNumbers } from './tensor-values.js';

/** A small tensor with a concrete shape whose elements are expressions (row-major). */
export interface KnownValue {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly values: readonly Expr[];
}

/** Largest element count tracked as a known value (bigger results are computed by kernels). */
export const KNOWN_LIMIT = 1024;

/** What the evaluator sees of one node input: its known value and/or its struct info. */
export interface EvalInput {
  readonly known?: KnownValue;
  readonly sinfo?: StructInfo;
}

export interface EvalNode {
  readonly opType: string;
  readonly attrs: ReadonlyMap<string, OnnxAttr>;
}

const ONNX_TO: Record<number, DType> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64',
  9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 16: 'bfloat16',
};

/** An element literal of `dtype` (ints are int64-typed exprs; the value is wrapped to the dtype). */
export function elemLit(dtype: DType, v: number): Expr {
  if (dtype === 'bool') return int(v !== 0 && !Number.isNaN(v) ? 1 : 0, 'bool');
  if (isFloat(dtype)) return { k: 'float', value: normalize(dtype, v), dtype };
  return int(normalize(dtype, v));
}

/** The number an element holds, when it is a literal. */
export function elemNum(e: Expr): number | undefined {
  return e.k === 'int' || e.k === 'float' ? e.value : undefined;
}

export const isConcrete = (k: KnownValue): boolean => k.values.every((e) => elemNum(e) !== undefined);

/** A known value for a small constant tensor (undefined when it is too large to track). */
export function knownFromTensor(t: HostTensor): KnownValue | undefined {
  if (numel(t.shape) > KNOWN_LIMIT) return undefined;
  return { dtype: t.dtype, shape: [...t.shape], values: toNumbers(t).map((v) => elemLit(t.dtype, v)) };
}

/** The tensor of a concrete known value. */
export function knownToTensor(k: KnownValue): HostTensor | undefined {
  const nums = k.values.map(elemNum);
  if (nums.some((n) => n === undefined)) return undefined;
  return tensorFromNumbers(k.dtype, k.shape, nums as number[]);
}

/** Int elements as int64 shape expressions (int-to-int casts stripped), or undefined for float / bool values. */
export function knownInts(k: KnownValue): Expr[] | undefined {
  if (isFloat(k.dtype) || k.dtype === 'bool') return undefined;
  return k.values.map(stripIntCasts);
}

function stripIntCasts(e: Expr): Expr {
  if (e.k === 'cast' && !isFloat(e.dtype) && !isFloat(e.a.dtype)) return stripIntCasts(e.a);
  if (e.k === 'int' && e.dtype !== 'int64') return int(e.value);
  return e;
}

const SHAPE_BINOPS = new Set(['add', 'sub', 'mul', 'floordiv', 'floormod', 'min', 'max']);

/** Whether the runtime can evaluate an int expression as a shape (no comparisons, selects or floats). */
export function isShapeExpr(e: Expr): boolean {
  switch (e.k) {
    case 'int': case 'var': return !isFloat(e.dtype) && e.dtype !== 'bool';
    case 'cast': return !isFloat(e.dtype) && e.dtype !== 'bool' && isShapeExpr(e.a);
    case 'bin': return SHAPE_BINOPS.has(e.op) && isShapeExpr(e.a) && isShapeExpr(e.b);
    default: return false;
  }
}

/** Whether an int expression over symbolic dims is known to be >= 0. */
export function nonNegative(e: Expr): boolean {
  switch (e.k) {
    case 'int': return e.value >= 0;
    case 'var': return true;
    case 'cast': return nonNegative(e.a);
    case 'bin':
      if (e.op === 'add' || e.op === 'mul' || e.op === 'floordiv' || e.op === 'max' || e.op === 'min') return nonNegative(e.a) && nonNegative(e.b);
      if (e.op === 'floormod') return nonNegative(e.b);
      return false;
    default: return false;
  }
}

const TRUE_OF: Record<CmpOp, (c: number) => boolean> = {
  eq: (c) => c === 0, ne: (c) => c !== 0, lt: (c) => c < 0, le: (c) => c <= 0, gt: (c) => c > 0, ge: (c) => c >= 0,
};

/** A comparison decided where possible (literals, equal exprs, non-negative dims against negatives). */
export function decideCmp(op: CmpOp, a: Expr, b: Expr): Expr {
  const x = elemNum(a), y = elemNum(b);
  if (x !== undefined && y !== undefined) return int(TRUE_OF[op](x < y ? -1 : x > y ? 1 : x === y ? 0 : NaN) ? 1 : 0, 'bool');
  if (exprEqual(a, b)) return int(TRUE_OF[op](0) ? 1 : 0, 'bool');
  // sign(a - b) when a is a non-negative dim and b a negative literal (or the mirror image)
  if (nonNegative(a) && y !== undefined && y < 0) return int(TRUE_OF[op](1) ? 1 : 0, 'bool');
  if (nonNegative(b) && x !== undefined && x < 0) return int(TRUE_OF[op](-1) ? 1 : 0, 'bool');
  if (nonNegative(a) && y === 0 && (op === 'ge' || op === 'lt')) return int(op === 'ge' ? 1 : 0, 'bool');
  return cmp(op, a, b);
}

// ---------------------------------------------------------------------------------------------------------

type Inputs = readonly (EvalInput | undefined)[];

function attrInt(n: EvalNode, name: string, dflt: number): number {
  const a = n.attrs.get(name);
  return a && (a.type === 'int' || a.type === 'float') ? a.value : dflt;
}
function attrInts(n: EvalNode, name: string): readonly number[] | undefined {
  const a = n.attrs.get(name);
  return a?.type === 'ints' ? a.value : undefined;
}

const known = (ins: Inputs, i: number): KnownValue | undefined => ins[i]?.known;

/** Concrete numbers of input i (undefined when absent, unknown or symbolic). */
function nums(ins: Inputs, i: number): number[] | undefined {
  const k = known(ins, i);
  if (!k) return undefined;
  const v = k.values.map(elemNum);
  return v.some((x) => x === undefined) ? undefined : (v as number[]);
}

function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]!; }
  return s;
}

function unravel(flat: number, shape: readonly number[]): number[] {
  const st = stridesOf(shape);
  return shape.map((d, i) => Math.floor(flat / st[i]!) % d);
}

function ravel(idx: readonly number[], shape: readonly number[]): number {
  const st = stridesOf(shape);
  return idx.reduce((a, v, i) => a + v * st[i]!, 0);
}

function broadcastShape(a: readonly number[], b: readonly number[]): number[] | undefined {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1, y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Element of `k` read at an output index under numpy broadcasting. */
function bcastAt(k: KnownValue, idx: readonly number[]): Expr {
  const off = idx.length - k.shape.length;
  return k.values[ravel(k.shape.map((d, i) => (d === 1 ? 0 : idx[off + i]!)), k.shape)]!;
}

function mapBroadcast(ks: readonly KnownValue[], dtype: DType, fn: (xs: Expr[]) => Expr | undefined): KnownValue | undefined {
  let shape: number[] = [];
  for (const k of ks) {
    const s = broadcastShape(shape, k.shape);
    if (!s) return undefined;
    shape = s;
  }
  if (numel(shape) > KNOWN_LIMIT) return undefined;
  const values: Expr[] = [];
  for (let f = 0; f < numel(shape); f++) {
    const idx = unravel(f, shape);
    const v = fn(ks.map((k) => bcastAt(k, idx)));
    if (!v) return undefined;
    values.push(v);
  }
  return { dtype, shape, values };
}

type Arith = 'Add' | 'Sub' | 'Mul' | 'Div' | 'Mod' | 'Min' | 'Max';

function arith(op: Arith, dtype: DType, a: Expr, b: Expr): Expr | undefined {
  const x = elemNum(a), y = elemNum(b);
  if (x !== undefined && y !== undefined) {
    const fl = isFloat(dtype);
    switch (op) {
      case 'Add': return elemLit(dtype, x + y);
      case 'Sub': return elemLit(dtype, x - y);
      case 'Mul': return elemLit(dtype, x * y);
      case 'Div': return fl ? elemLit(dtype, x / y) : y === 0 ? undefined : elemLit(dtype, Math.trunc(x / y));
      case 'Mod': return fl || y === 0 ? undefined : elemLit(dtype, x - Math.floor(x / y) * y);
      case 'Min': return elemLit(dtype, Math.min(x, y));
      case 'Max': return elemLit(dtype, Math.max(x, y));
    }
  }
  if (isFloat(dtype) || dtype === 'bool') return undefined;
  switch (op) {
    case 'Add': return bin('add', a, b);
    case 'Sub': return bin('sub', a, b);
    case 'Mul': return bin('mul', a, b);
    case 'Div': return y !== undefined && y > 0 ? bin('floordiv', a, b) : undefined;
    case 'Mod': return y !== undefined && y > 0 ? bin('floormod', a, b) : undefined;
    case 'Min': return bin('min', a, b);
    case 'Max': return bin('max', a, b);
  }
}

function castElem(e: Expr, from: DType, to: DType): Expr | undefined {
  const v = elemNum(e);
  if (v !== undefined) {
    if (!isFloat(from) || isFloat(to) || to === 'bool') return elemLit(to, v);
    return Number.isFinite(v) ? elemLit(to, Math.trunc(v)) : undefined;
  }
  if (to === 'bool') return from === 'bool' ? e : decideCmp('ne', e, int(0));
  if (from === 'bool') return isFloat(to) ? cast(select(e, int(1), int(0)), to) : select(e, int(1), int(0));
  if (isFloat(to)) return cast(e, to);
  if (!isFloat(from)) return e; // int -> int keeps the (int64) expression
  return e.k === 'cast' && !isFloat(e.a.dtype) ? e.a : undefined; // Cast(Cast(dim, float), int)
}

/** ONNX Slice start/count on a concrete dim (negative starts/ends count from the end; clamped). */
export function sliceRange(dim: number, start: number, end: number, step: number): { start: number; count: number } {
  let s = start < 0 ? start + dim : start, e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), dim); e = Math.min(Math.max(e, 0), dim);
    return { start: s, count: Math.max(0, Math.ceil((e - s) / step)) };
  }
  s = Math.min(Math.max(s, 0), dim - 1); e = Math.min(Math.max(e, -1), dim - 1);
  return { start: s, count: Math.max(0, Math.ceil((s - e) / -step)) };
}

function gatherIndex(k: KnownValue, axis: number, idx: readonly number[]): KnownValue | undefined {
  const r = k.shape.length;
  const pre = k.shape.slice(0, axis), post = k.shape.slice(axis + 1), dim = k.shape[axis]!;
  const shape = [...pre, idx.length, ...post];
  if (numel(shape) > KNOWN_LIMIT) return undefined;
  const values: Expr[] = [];
  for (let f = 0; f < numel(shape); f++) {
    const o = unravel(f, shape);
    const i = idx[o[axis]!]!;
    const src = [...o.slice(0, axis), i < 0 ? i + dim : i, ...o.slice(axis + 1, r)];
    values.push(k.values[ravel(src, k.shape)]!);
  }
  return { dtype: k.dtype, shape, values };
}

const reshaped = (k: KnownValue, shape: readonly number[]): KnownValue => ({ ...k, shape: [...shape] });

const normAxis = (a: number, r: number): number => (a < 0 ? a + r : a);

/** The output shape of Reshape for a concrete input shape (0 copies unless allowzero; one -1 inferred). */
export function reshapeTarget(input: readonly number[], target: readonly number[], allowzero: boolean): number[] | undefined {
  const out = target.map((v, i) => (v === 0 && !allowzero ? input[i] : v));
  if (out.some((d) => d === undefined)) return undefined;
  const holes = out.filter((d) => d === -1).length;
  if (holes > 1) return undefined;
  if (holes === 1) {
    const known = (out as number[]).filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    if (known === 0 || numel(input) % known !== 0) return undefined;
    return (out as number[]).map((d) => (d === -1 ? numel(input) / known : d));
  }
  return numel(out as number[]) === numel(input) ? (out as number[]) : undefined;
}

type Evaluator = (n: EvalNode, ins: Inputs, opset: number) => KnownValue[] | KnownValue | undefined;

const binaryArith = (op: Arith): Evaluator => (_n, ins) => {
  const a = known(ins, 0), b = known(ins, 1);
  if (!a || !b || a.dtype !== b.dtype) return undefined;
  return mapBroadcast([a, b], a.dtype, ([x, y]) => arith(op, a.dtype, x!, y!));
};

const compare = (op: CmpOp): Evaluator => (_n, ins) => {
  const a = known(ins, 0), b = known(ins, 1);
  if (!a || !b) return undefined;
  return mapBroadcast([a, b], 'bool', ([x, y]) => decideCmp(op, x!, y!));
};

const logical = (fn: (x: number, y: number) => boolean): Evaluator => (_n, ins) => {
  const a = known(ins, 0), b = known(ins, 1);
  if (!a || !b) return undefined;
  return mapBroadcast([a, b], 'bool', ([x, y]) => {
    const p = elemNum(x!), q = elemNum(y!);
    return p === undefined || q === undefined ? undefined : int(fn(p, q) ? 1 : 0, 'bool');
  });
};

const unaryInt = (fn: (x: number) => number, sym?: (e: Expr) => Expr | undefined): Evaluator => (_n, ins) => {
  const a = known(ins, 0);
  if (!a) return undefined;
  return mapBroadcast([a], a.dtype, ([x]) => {
    const v = elemNum(x!);
    return v !== undefined ? elemLit(a.dtype, fn(v)) : isFloat(a.dtype) ? undefined : sym?.(x!);
  });
};

/** Axes of Squeeze/Unsqueeze/Reduce: an attribute before `inputFrom`, an input after. */
function axesOf(n: EvalNode, ins: Inputs, opset: number, inputFrom: number): readonly number[] | undefined | null {
  if (opset < inputFrom) return attrInts(n, 'axes') ?? null;
  if (!ins[1]) return null;
  return nums(ins, 1);
}

const EVALUATORS: Record<string, Evaluator> = {
  Identity: (_n, ins) => known(ins, 0),
  Shape(n, ins, opset) {
    const s = ins[0]?.sinfo;
    const dims: Expr[] | undefined = s?.k === 'tensor' ? [...s.shape] : known(ins, 0)?.shape.map((d) => int(d));
    if (!dims) return undefined;
    const r = dims.length;
    let start = opset >= 15 ? attrInt(n, 'start', 0) : 0, end = opset >= 15 ? attrInt(n, 'end', r) : r;
    start = Math.min(Math.max(normAxis(start, r), 0), r);
    end = Math.min(Math.max(normAxis(end, r), 0), r);
    const v = dims.slice(start, Math.max(start, end));
    return { dtype: 'int64', shape: [v.length], values: v };
  },
  Size(_n, ins) {
    const s = ins[0]?.sinfo;
    const dims = s?.k === 'tensor' ? s.shape : known(ins, 0)?.shape.map((d) => int(d));
    return dims ? { dtype: 'int64', shape: [], values: [product(dims)] } : undefined;
  },
  Cast(n, ins) {
    const a = known(ins, 0), to = ONNX_TO[attrInt(n, 'to', 0)];
    if (!a || !to) return undefined;
    const values: Expr[] = [];
    for (const e of a.values) {
      const c = castElem(e, a.dtype, to);
      if (!c) return undefined;
      values.push(c);
    }
    return { dtype: to, shape: a.shape, values };
  },
  Add: binaryArith('Add'), Sub: binaryArith('Sub'), Mul: binaryArith('Mul'), Div: binaryArith('Div'),
  Mod(n, ins, opset) { return attrInt(n, 'fmod', 0) ? undefined : binaryArith('Mod')(n, ins, opset); },
  Min(_n, ins) {
    const ks = ins.map((i) => i?.known);
    if (ks.length === 0 || ks.some((k) => !k || k.dtype !== ks[0]!.dtype)) return undefined;
    return mapBroadcast(ks as KnownValue[], ks[0]!.dtype, (xs) => xs.reduce<Expr | undefined>((a, x) => (a ? arith('Min', ks[0]!.dtype, a, x) : undefined), xs[0]!));
  },
  Max(_n, ins) {
    const ks = ins.map((i) => i?.known);
    if (ks.length === 0 || ks.some((k) => !k || k.dtype !== ks[0]!.dtype)) return undefined;
    return mapBroadcast(ks as KnownValue[], ks[0]!.dtype, (xs) => xs.reduce<Expr | undefined>((a, x) => (a ? arith('Max', ks[0]!.dtype, a, x) : undefined), xs[0]!));
  },
  Neg: unaryInt((x) => -x, (e) => bin('sub', int(0), e)),
  Abs: unaryInt(Math.abs, (e) => (nonNegative(e) ? e : undefined)),
  Equal: compare('eq'), Less: compare('lt'), LessOrEqual: compare('le'), Greater: compare('gt'), GreaterOrEqual: compare('ge'),
  And: logical((x, y) => x !== 0 && y !== 0), Or: logical((x, y) => x !== 0 || y !== 0), Xor: logical((x, y) => (x !== 0) !== (y !== 0)),
  Not(_n, ins) {
    const a = known(ins, 0);
    if (!a) return undefined;
    return mapBroadcast([a], 'bool', ([x]) => {
      const v = elemNum(x!);
      return v === undefined ? undefined : int(v ? 0 : 1, 'bool');
    });
  },
  Where(_n, ins) {
    const c = known(ins, 0), a = known(ins, 1), b = known(ins, 2);
    if (!c || !a || !b || a.dtype !== b.dtype) return undefined;
    return mapBroadcast([c, a, b], a.dtype, ([p, x, y]) => {
      const v = elemNum(p!);
      return v !== undefined ? (v ? x! : y!) : isFloat(a.dtype) ? undefined : select(p!, x!, y!);
    });
  },
  Gather(n, ins) {
    const d = known(ins, 0), idx = nums(ins, 1), ik = known(ins, 1);
    if (!d || !idx || !ik || d.shape.length === 0) return undefined;
    const axis = normAxis(attrInt(n, 'axis', 0), d.shape.length);
    if (idx.some((i) => i < -d.shape[axis]! || i >= d.shape[axis]!)) return undefined;
    const g = gatherIndex(d, axis, idx);
    if (!g) return undefined;
    return reshaped(g, [...d.shape.slice(0, axis), ...ik.shape, ...d.shape.slice(axis + 1)]);
  },
  Unsqueeze(n, ins, opset) {
    const a = known(ins, 0), axes = axesOf(n, ins, opset, 13);
    if (!a || !axes) return undefined;
    const r = a.shape.length + axes.length;
    const ax = axes.map((x) => normAxis(x, r));
    const shape: number[] = [];
    let j = 0;
    for (let i = 0; i < r; i++) shape.push(ax.includes(i) ? 1 : a.shape[j++]!);
    return reshaped(a, shape);
  },
  Squeeze(n, ins, opset) {
    const a = known(ins, 0), axes = axesOf(n, ins, opset, 13);
    if (!a || axes === undefined) return undefined;
    const ax = axes === null ? a.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : axes.map((x) => normAxis(x, a.shape.length));
    if (ax.some((i) => a.shape[i] !== 1)) return undefined;
    return reshaped(a, a.shape.filter((_, i) => !ax.includes(i)));
  },
  Concat(n, ins) {
    const ks = ins.map((i) => i?.known);
    if (ks.length === 0 || ks.some((k) => !k)) return undefined;
    const all = ks as KnownValue[];
    const r = all[0]!.shape.length, axis = normAxis(attrInt(n, 'axis', 0), r);
    if (r === 0 || all.some((k) => k.shape.length !== r || k.dtype !== all[0]!.dtype)) return undefined;
    const shape = [...all[0]!.shape];
    shape[axis] = all.reduce((a, k) => a + k.shape[axis]!, 0);
    if (numel(shape) > KNOWN_LIMIT) return undefined;
    const values: Expr[] = [];
    for (let f = 0; f < numel(shape); f++) {
      const o = unravel(f, shape);
      let p = o[axis]!, which = 0;
      while (p >= all[which]!.shape[axis]!) p -= all[which++]!.shape[axis]!;
      const k = all[which]!;
      values.push(k.values[ravel(o.map((v, i) => (i === axis ? p : v)), k.shape)]!);
    }
    return { dtype: all[0]!.dtype, shape, values };
  },
  Reshape(n, ins, opset) {
    const a = known(ins, 0);
    const t = opset < 5 ? attrInts(n, 'shape') : nums(ins, 1);
    if (!a || !t) return undefined;
    const s = reshapeTarget(a.shape, t, attrInt(n, 'allowzero', 0) === 1);
    return s ? reshaped(a, s) : undefined;
  },
  Flatten(n, ins) {
    const a = known(ins, 0);
    if (!a) return undefined;
    const axis = normAxis(attrInt(n, 'axis', 1), a.shape.length);
    return reshaped(a, [numel(a.shape.slice(0, axis)), numel(a.shape.slice(axis))]);
  },
  Slice(n, ins, opset) {
    const a = known(ins, 0);
    if (!a) return undefined;
    const r = a.shape.length;
    const starts = opset < 10 ? attrInts(n, 'starts') : nums(ins, 1);
    const ends = opset < 10 ? attrInts(n, 'ends') : nums(ins, 2);
    const axes = opset < 10 ? attrInts(n, 'axes') ?? starts?.map((_, i) => i) : ins[3] ? nums(ins, 3) : starts?.map((_, i) => i);
    const steps = opset < 10 ? starts?.map(() => 1) : ins[4] ? nums(ins, 4) : starts?.map(() => 1);
    if (!starts || !ends || !axes || !steps || steps.some((s) => s === 0)) return undefined;
    const begin = a.shape.map(() => 0), step = a.shape.map(() => 1), shape = [...a.shape];
    axes.forEach((x, i) => {
      const ax = normAxis(x, r);
      const s = sliceRange(a.shape[ax]!, starts[i]!, ends[i]!, steps[i]!);
      begin[ax] = s.start; step[ax] = steps[i]!; shape[ax] = s.count;
    });
    const values: Expr[] = [];
    for (let f = 0; f < numel(shape); f++) {
      const o = unravel(f, shape);
      values.push(a.values[ravel(o.map((v, i) => begin[i]! + v * step[i]!), a.shape)]!);
    }
    return { dtype: a.dtype, shape, values };
  },
  ConstantOfShape(n, ins) {
    const s = nums(ins, 0);
    if (!s || numel(s) > KNOWN_LIMIT) return undefined;
    const v = n.attrs.get('value');
    const t = v?.type === 'tensor' ? v.value : undefined;
    const dtype = t?.dtype ?? 'float32', x = t ? toNumbers(t)[0] ?? 0 : 0;
    return { dtype, shape: s, values: new Array<Expr>(numel(s)).fill(elemLit(dtype, x)) };
  },
  Expand(_n, ins) {
    const a = known(ins, 0), s = nums(ins, 1);
    if (!a || !s) return undefined;
    const shape = broadcastShape(a.shape, s);
    if (!shape || numel(shape) > KNOWN_LIMIT) return undefined;
    return mapBroadcast([a, { dtype: a.dtype, shape, values: new Array<Expr>(numel(shape)).fill(int(0)) }], a.dtype, ([x]) => x);
  },
  Range(_n, ins) {
    const s = nums(ins, 0), l = nums(ins, 1), d = nums(ins, 2), k = known(ins, 0);
    if (!s || !l || !d || !k || d[0] === 0) return undefined;
    const count = Math.max(0, Math.ceil((l[0]! - s[0]!) / d[0]!));
    if (count > KNOWN_LIMIT) return undefined;
    return { dtype: k.dtype, shape: [count], values: [...Array(count).keys()].map((i) => elemLit(k.dtype, s[0]! + i * d[0]!)) };
  },
  Transpose(n, ins) {
    const a = known(ins, 0);
    if (!a) return undefined;
    const r = a.shape.length;
    const perm = attrInts(n, 'perm') ?? [...Array(r).keys()].reverse();
    const shape = perm.map((p) => a.shape[p]!);
    const values: Expr[] = [];
    for (let f = 0; f < numel(shape); f++) {
      const o = unravel(f, shape);
      const src = new Array<number>(r);
      perm.forEach((p, j) => { src[p] = o[j]!; });
      values.push(a.values[ravel(src, a.shape)]!);
    }
    return { dtype: a.dtype, shape, values };
  },
};

/** Ops the evaluator understands (an op is only evaluated when all its inputs are known values). */
export const EVALUATED_OPS: readonly string[] = Object.keys(EVALUATORS).sort();

/**
 * Evaluates a node whose inputs are known values (Shape and Size need only the input's struct info).
 * Returns one known value per output, or undefined when the node must be converted to kernels instead.
 */
export function evaluateNode(node: EvalNode, opset: number, ins: Inputs): KnownValue[] | undefined {
  const ev = EVALUATORS[node.opType];
  if (!ev) return undefined;
  if (node.opType !== 'Shape' && node.opType !== 'Size' && ins.some((i) => i !== undefined && !i.known)) return undefined;
  if (node.opType !== 'Shape' && node.opType !== 'Size' && !ins.some((i) => i?.known)) return undefined;
  const r = ev(node, ins, opset);
  if (!r) return undefined;
  const out = Array.isArray(r) ? r : [r];
  return out.every((k) => numel(k.shape) <= KNOWN_LIMIT && k.values.length === numel(k.shape)) ? out : undefined;
}
