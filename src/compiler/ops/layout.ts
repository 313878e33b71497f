/**
 * Data-movement ops:
 * - concat(x0, x1, ...): attr axis (normalized); dims other than axis must agree.
 * - strided_slice(x, begin: shape, size: shape): attr steps (one per axis, non-zero); out[v] = x[begin + v*step].
 *   The converter resolves ONNX's negative / out-of-range starts and ends, so `begin`/`size` are exact.
 * - broadcast_to(x, shape): numpy broadcasting of x to the target shape (ONNX Expand: the result shape is the
 *   broadcast of both).
 * - tile(x): attr repeats.
 * - pad(x): attrs pads (rank*2: befores then afters; negative crops), mode constant|edge|reflect|wrap, value.
 */
import type { Attrs, StructInfo } from '../ir/types.js';
import { add, cmp, floormod, int, max, min, mul, select, sub } from '../tir/expr.js';
import type { Expr } from '../tir/types.js';
import { at, buffer, compute, lit, primFunc } from './compute.js';
import type { OpDef } from './registry.js';
import { broadcastIndex, broadcastShapes, expectArgs, normAxis, shapeError, shapeText, tensor, tensorArg, type TensorInfo } from './shape-util.js';

/** Clamps an index into [0, extent - 1] (keeps loads in select branches in bounds on every backend). */
export const clampIndex = (e: Expr, extent: Expr): Expr => max(min(e, sub(extent, int(1))), int(0));

function numList(attrs: Attrs, key: string, op: string, n: number): number[] {
  const v = attrs[key];
  if (!Array.isArray(v) || v.length !== n || v.some((x) => typeof x !== 'number')) {
    throw shapeError(`${op}: attribute '${key}' must list ${n} number(s)`);
  }
  return v as number[];
}

function shapeArg(op: string, args: readonly StructInfo[], i: number, n?: number): readonly Expr[] {
  const s = args[i];
  if (!s || s.k !== 'shape') throw shapeError(`${op}: argument ${i} must be a shape`);
  if (n !== undefined && s.values.length !== n) throw shapeError(`${op}: argument ${i} must have ${n} value(s), got ${s.values.length}`);
  return s.values;
}

const concat: OpDef = {
  name: 'concat',
  pattern: () => 'injective',
  infer(args, attrs) {
    if (args.length === 0) throw shapeError('concat: needs at least one tensor');
    const xs = args.map((_, i) => tensorArg('concat', args, i));
    const r = xs[0]!.shape.length;
    if (r === 0) throw shapeError('concat: inputs must have rank >= 1');
    const axis = normAxis('concat', Number(attrs.axis ?? 0), r);
    for (const x of xs) {
      if (x.dtype !== xs[0]!.dtype) throw shapeError(`concat: dtypes differ (${xs[0]!.dtype} vs ${x.dtype})`);
      if (x.shape.length !== r) throw shapeError(`concat: ranks differ (${shapeText(xs[0]!.shape)} vs ${shapeText(x.shape)})`);
      x.shape.forEach((d, i) => {
        const e = xs[0]!.shape[i]!;
        if (i !== axis && d.k === 'int' && e.k === 'int' && d.value !== e.value) {
          throw shapeError(`concat: dim ${i} differs (${shapeText(xs[0]!.shape)} vs ${shapeText(x.shape)}) on axis ${axis}`);
        }
      });
    }
    const shape = xs[0]!.shape.map((d, i) => (i === axis ? xs.slice(1).reduce<Expr>((a, x) => add(a, x.shape[axis]!), d) : (d.k === 'int' ? d : xs.find((x) => x.shape[i]!.k === 'int')?.shape[i] ?? d)));
    return tensor(xs[0]!.dtype, shape);
  },
  legalize(ctx) {
    const xs = ctx.args as TensorInfo[], o = ctx.out as TensorInfo;
    const axis = normAxis('concat', Number(ctx.attrs.axis ?? 0), o.shape.length);
    const bufs = xs.map((x, i) => buffer(`A${i}`, x.dtype, x.shape));
    const T = buffer('T_concat', o.dtype, o.shape);
    const offs: Expr[] = [int(0)];
    xs.forEach((x, i) => offs.push(add(offs[i]!, x.shape[axis]!)));
    const body = compute(T, (v) => {
      const pick = (j: number): Expr => {
        const idx = v.map((e, i) => (i === axis ? clampIndex(sub(e, offs[j]!), xs[j]!.shape[axis]!) : e));
        return at(bufs[j]!, idx);
      };
      let e = pick(xs.length - 1);
      for (let j = xs.length - 2; j >= 0; j--) e = select(cmp('lt', v[axis]!, offs[j + 1]!), pick(j), e);
      return e;
    });
    return primFunc(ctx.name, bufs, [T], [body], { pattern: 'injective' });
  },
};

const stridedSlice: OpDef = {
  name: 'strided_slice',
  pattern: () => 'injective',
  infer(args, attrs) {
    expectArgs('strided_slice', args, 3);
    const x = tensorArg('strided_slice', args, 0), r = x.shape.length;
    shapeArg('strided_slice', args, 1, r);
    const size = shapeArg('strided_slice', args, 2, r);
    const steps = numList(attrs, 'steps', 'strided_slice', r);
    if (steps.some((s) => s === 0)) throw shapeError('strided_slice: steps must be non-zero');
    for (const d of size) if (d.k === 'int' && d.value < 0) throw shapeError(`strided_slice: negative size ${shapeText(size)}`);
    return tensor(x.dtype, size);
  },
  legalize(ctx) {
    const x = ctx.args[0] as TensorInfo, o = ctx.out as TensorInfo;
    const begin = shapeArg('strided_slice', ctx.args, 1), steps = numList(ctx.attrs, 'steps', 'strided_slice', x.shape.length);
    const A = buffer('A', x.dtype, x.shape), T = buffer('T_strided_slice', o.dtype, o.shape);
    const body = compute(T, (v) => at(A, v.map((e, i) => add(begin[i]!, mul(e, int(steps[i]!))))));
    return primFunc(ctx.name, [A], [T], [body], { pattern: 'injective' });
  },
};

const broadcastTo: OpDef = {
  name: 'broadcast_to',
  pattern: () => 'broadcast',
  infer(args) {
    expectArgs('broadcast_to', args, 2);
    const x = tensorArg('broadcast_to', args, 0);
    return tensor(x.dtype, broadcastShapes('broadcast_to', x.shape, shapeArg('broadcast_to', args, 1)));
  },
  legalize(ctx) {
    const x = ctx.args[0] as TensorInfo, o = ctx.out as TensorInfo;
    const A = buffer('A', x.dtype, x.shape), T = buffer('T_broadcast_to', o.dtype, o.shape);
    return primFunc(ctx.name, [A], [T], [compute(T, (v) => at(A, broadcastIndex(x.shape, v, o.shape)))], { pattern: 'broadcast' });
  },
};

const tile: OpDef = {
  name: 'tile',
  pattern: () => 'injective',
  infer(args, attrs) {
    expectArgs('tile', args, 1);
    const x = tensorArg('tile', args, 0);
    const reps = numList(attrs, 'repeats', 'tile', x.shape.length);
    if (reps.some((r) => r < 0)) throw shapeError(`tile: negative repeats [${reps.join(', ')}]`);
    return tensor(x.dtype, x.shape.map((d, i) => mul(d, int(reps[i]!))));
  },
  legalize(ctx) {
    const x = ctx.args[0] as TensorInfo, o = ctx.out as TensorInfo;
    const A = buffer('A', x.dtype, x.shape), T = buffer('T_tile', o.dtype, o.shape);
    return primFunc(ctx.name, [A], [T], [compute(T, (v) => at(A, v.map((e, i) => floormod(e, x.shape[i]!))))], { pattern: 'injective' });
  },
};

export type PadMode = 'constant' | 'edge' | 'reflect' | 'wrap';

/** Source index along one axis for an output index `i` (already shifted by the before-pad) of a dim `d`. */
function padSource(mode: PadMode, i: Expr, d: Expr): Expr {
  switch (mode) {
    case 'constant': case 'edge': return clampIndex(i, d);
    case 'wrap': return floormod(i, d);
    case 'reflect': {
      // period 2(d-1): fold i into [0, 2d-2), then mirror the upper half
      const p = mul(int(2), sub(d, int(1)));
      const m = floormod(i, max(p, int(1)));
      return clampIndex(select(cmp('lt', m, d), m, sub(p, m)), d);
    }
  }
}

const pad: OpDef = {
  name: 'pad',
  pattern: () => 'injective',
  infer(args, attrs) {
    expectArgs('pad', args, 1);
    const x = tensorArg('pad', args, 0), r = x.shape.length;
    const pads = numList(attrs, 'pads', 'pad', 2 * r);
    const mode = attrs.mode;
    if (mode !== 'constant' && mode !== 'edge' && mode !== 'reflect' && mode !== 'wrap') throw shapeError(`pad: unknown mode '${String(mode)}'`);
    const shape = x.shape.map((d, i) => add(d, int(pads[i]! + pads[i + r]!)));
    for (const d of shape) if (d.k === 'int' && d.value < 0) throw shapeError(`pad: pads [${pads.join(', ')}] crop ${shapeText(x.shape)} below zero`);
    return tensor(x.dtype, shape);
  },
  legalize(ctx) {
    const x = ctx.args[0] as TensorInfo, o = ctx.out as TensorInfo, r = x.shape.length;
    const pads = numList(ctx.attrs, 'pads', 'pad', 2 * r), mode = ctx.attrs.mode as PadMode;
    const value = typeof ctx.attrs.value === 'number' ? ctx.attrs.value : 0;
    const A = buffer('A', x.dtype, x.shape), T = buffer('T_pad', o.dtype, o.shape);
    const body = compute(T, (v) => {
      const shifted = v.map((e, i) => sub(e, int(pads[i]!)));
      const load = at(A, shifted.map((e, i) => padSource(mode, e, x.shape[i]!)));
      if (mode !== 'constant') return load;
      let inside: Expr | undefined;
      shifted.forEach((e, i) => {
        if (pads[i]! <= 0 && pads[i + r]! <= 0) return;
        const c = cmp('ge', e, int(0)), c2 = cmp('lt', e, x.shape[i]!);
        const both: Expr = { k: 'bin', op: 'and', a: c, b: c2, dtype: 'bool' };
        inside = inside ? { k: 'bin', op: 'and', a: inside, b: both, dtype: 'bool' } : both;
      });
      return inside ? select(inside, load, lit(value, x.dtype)) : load;
    });
    return primFunc(ctx.name, [A], [T], [body], { pattern: 'injective' });
  },
};

export const LAYOUT_OPS: readonly OpDef[] = [concat, stridedSlice, broadcastTo, tile, pad];
