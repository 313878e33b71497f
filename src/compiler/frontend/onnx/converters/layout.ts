/** Concat, Split, Slice, Pad, Tile, Expand. Split sizes, slice bounds, pads, repeats and targets are build-time values. */
import { add, floordiv, int, max, sub } from '../../../tir/expr.js';
import type { Expr } from '../../../tir/types.js';
import type { Atom } from '../../../ir/types.js';
import { sliceRange } from '../shape-values.js';
import { axisOf, hasInput, numberValues, scalarValue, shapeValues } from './shape-input.js';
import type { ConvertCtx, ConverterTable } from './types.js';
import { tensorInfo } from './util.js';

/** ONNX ends/starts at or beyond this magnitude mean "to the end" (INT64_MAX / INT_MAX style sentinels). */
const HUGE = 2 ** 31 - 1;

/** Begin and size of a slice along a dim that may be symbolic; symbolic bounds are assumed in range. */
function sliceDim(ctx: ConvertCtx, d: Expr, start: Expr, end: Expr, step: number): { begin: Expr; size: Expr } {
  if (d.k === 'int' && start.k === 'int' && end.k === 'int') {
    const r = sliceRange(d.value, start.value, end.value, step);
    return { begin: int(r.start), size: int(r.count) };
  }
  const lit = (e: Expr): number | undefined => (e.k === 'int' ? e.value : undefined);
  if (step > 0) {
    const s0 = lit(start), e0 = lit(end);
    const b = s0 === undefined ? start : s0 < 0 ? max(add(d, int(s0)), int(0)) : s0 >= HUGE ? d : int(s0);
    const e = e0 === undefined ? end : e0 < 0 ? max(add(d, int(e0)), int(0)) : e0 >= HUGE ? d : d.k === 'int' ? int(Math.min(e0, d.value)) : int(e0);
    const n = sub(e, b);
    return { begin: b, size: step === 1 ? n : floordiv(add(n, int(step - 1)), int(step)) };
  }
  const s0 = lit(start), e0 = lit(end);
  const b = s0 === undefined ? start : s0 < 0 ? add(d, int(s0)) : s0 >= HUGE ? sub(d, int(1)) : int(s0);
  const e = e0 === undefined ? end : e0 <= -HUGE ? int(-1) : e0 < 0 ? add(d, int(e0)) : int(e0);
  if (b.k === 'int' && b.value < 0) ctx.unsupported(`a negative-step slice starting before the first element`);
  return { begin: b, size: floordiv(add(sub(b, e), int(-step - 1)), int(-step)) };
}

function slice(ctx: ConvertCtx, x: Atom, begin: readonly Expr[], size: readonly Expr[], steps: readonly number[], name: number | string): Atom {
  return ctx.op('strided_slice', [x, { k: 'shape', values: begin }, { k: 'shape', values: size }], { steps: [...steps] }, name);
}

export const LAYOUT_CONVERTERS: ConverterTable = {
  Concat: {
    attrs: ['axis'],
    convert(ctx: ConvertCtx) {
      const xs = ctx.node.inputs.map((_, i) => ctx.input(i)).filter((a): a is Atom => a !== undefined);
      if (xs.length === 0) ctx.unsupported('a Concat without inputs');
      const r = tensorInfo(ctx, xs[0]!, 'inputs').shape.length;
      const axis = axisOf(ctx, ctx.attrInt('axis', 0), r);
      ctx.setOutput(0, xs.length === 1 ? ctx.op('identity', xs, {}, 0) : ctx.op('concat', xs, { axis }, 0));
    },
  },
  Split: {
    attrs: ['axis', 'split', 'num_outputs'],
    constInputs: [1],
    convert(ctx: ConvertCtx) {
      const x = ctx.required(0, 'input');
      const s = tensorInfo(ctx, x, 'input').shape;
      const axis = axisOf(ctx, ctx.attrInt('axis', 0), s.length);
      const d = s[axis]!;
      const n = ctx.node.outputs.length;
      let sizes: Expr[];
      const given = ctx.opset < 13 ? ctx.attrInts('split') : shapeValues(ctx, 1, 'split');
      if (given) {
        if (given.length !== n) ctx.unsupported(`a split of ${given.length} parts for ${n} outputs`);
        sizes = given.map((v) => (typeof v === 'number' ? int(v) : v));
      } else {
        const parts = ctx.opset >= 18 ? ctx.attrInt('num_outputs', n) : n;
        if (parts !== n) ctx.unsupported(`num_outputs ${parts} with ${n} outputs`);
        if (d.k === 'int') {
          const chunk = Math.ceil(d.value / n);
          if (ctx.opset < 18 && d.value % n !== 0) ctx.unsupported(`splitting a dim of ${d.value} into ${n} equal parts`);
          sizes = [...Array(n).keys()].map((i) => int(Math.max(0, Math.min(chunk, d.value - i * chunk))));
        } else {
          sizes = Array<Expr>(n).fill(floordiv(d, int(n)));
        }
      }
      let off: Expr = int(0);
      sizes.forEach((sz, i) => {
        const begin = s.map((_, k) => (k === axis ? off : int(0)));
        const size = s.map((dd, k) => (k === axis ? sz : dd));
        ctx.setOutput(i, slice(ctx, x, begin, size, s.map(() => 1), i));
        off = add(off, sz);
      });
    },
  },
  Slice: {
    attrs: ['starts', 'ends', 'axes'],
    constInputs: [1, 2, 3, 4],
    convert(ctx: ConvertCtx) {
      const x = ctx.required(0, 'data');
      const s = tensorInfo(ctx, x, 'data').shape;
      let starts: readonly Expr[], ends: readonly Expr[], axes: readonly number[] | undefined, steps: readonly number[] | undefined;
      if (ctx.opset < 10) {
        const a = ctx.attrInts('starts'), b = ctx.attrInts('ends');
        if (!a || !b) ctx.unsupported("a Slice without 'starts'/'ends'");
        starts = a.map((v) => int(v)); ends = b.map((v) => int(v)); axes = ctx.attrInts('axes');
      } else {
        starts = shapeValues(ctx, 1, 'starts') ?? ctx.unsupported("a Slice without 'starts'");
        ends = shapeValues(ctx, 2, 'ends') ?? ctx.unsupported("a Slice without 'ends'");
        axes = numberValues(ctx, 3, 'axes');
        steps = numberValues(ctx, 4, 'steps');
      }
      if (starts.length !== ends.length) ctx.unsupported(`${starts.length} starts with ${ends.length} ends`);
      const ax = (axes ?? starts.map((_, i) => i)).map((a) => axisOf(ctx, a, s.length));
      const st = steps ?? starts.map(() => 1);
      if (st.some((v) => v === 0)) ctx.unsupported('a step of 0');
      const begin: Expr[] = s.map(() => int(0)), size: Expr[] = [...s], step = s.map(() => 1);
      ax.forEach((a, i) => {
        const r = sliceDim(ctx, s[a]!, starts[i]!, ends[i]!, st[i]!);
        begin[a] = r.begin; size[a] = r.size; step[a] = st[i]!;
      });
      ctx.setOutput(0, slice(ctx, x, begin, size, step, 0));
    },
  },
  Pad: {
    attrs: ['mode', 'pads', 'value', 'paddings'],
    constInputs: [1, 2, 3],
    convert(ctx: ConvertCtx) {
      const x = ctx.required(0, 'data');
      const r = tensorInfo(ctx, x, 'data').shape.length;
      const m = ctx.attr('mode');
      const mode = m?.type === 'string' ? m.value : 'constant';
      if (mode !== 'constant' && mode !== 'edge' && mode !== 'reflect' && mode !== 'wrap') ctx.unsupported(`mode '${mode}'`);
      let pads: readonly number[], value = 0;
      if (ctx.opset < 11) {
        pads = ctx.attrInts('pads') ?? ctx.attrInts('paddings') ?? ctx.unsupported("a Pad without 'pads'");
        value = ctx.attrFloat('value', 0);
      } else {
        pads = numberValues(ctx, 1, 'pads') ?? ctx.unsupported("a Pad without 'pads'");
        if (hasInput(ctx, 2)) value = scalarValue(ctx, 2, 'constant_value');
      }
      const axesIn = ctx.opset >= 18 ? numberValues(ctx, 3, 'axes') : undefined;
      const axes = (axesIn ?? [...Array(r).keys()]).map((a) => axisOf(ctx, a, r));
      if (pads.length !== 2 * axes.length) ctx.unsupported(`${pads.length} pads for ${axes.length} axes`);
      const full = Array<number>(2 * r).fill(0);
      axes.forEach((a, i) => { full[a] = pads[i]!; full[a + r] = pads[i + axes.length]!; });
      ctx.setOutput(0, full.every((p) => p === 0) ? ctx.op('identity', [x], {}, 0) : ctx.op('pad', [x], { pads: full, mode, value }, 0));
    },
  },
  Tile: {
    attrs: [],
    constInputs: [1],
    convert(ctx: ConvertCtx) {
      const x = ctx.required(0, 'input');
      const r = tensorInfo(ctx, x, 'input').shape.length;
      const reps = numberValues(ctx, 1, 'repeats') ?? ctx.unsupported("a Tile without 'repeats'");
      if (reps.length !== r) ctx.unsupported(`${reps.length} repeats for a rank-${r} input`);
      ctx.setOutput(0, ctx.op('tile', [x], { repeats: reps }, 0));
    },
  },
  Expand: {
    attrs: [],
    constInputs: [1],
    convert(ctx: ConvertCtx) {
      const x = ctx.required(0, 'input');
      tensorInfo(ctx, x, 'input');
      const shape = shapeValues(ctx, 1, 'shape') ?? ctx.unsupported("an Expand without 'shape'");
      ctx.setOutput(0, ctx.op('broadcast_to', [x, { k: 'shape', values: shape }], {}, 0));
    },
  },
};
