/**
 * Resize (opset 10+): nearest / linear / cubic, every coordinate transformation mode, antialias, exclude_outside,
 * tf_crop_and_resize with extrapolation, axes and keep_aspect_ratio_policy. Scales/sizes/roi are build-time
 * values; the sampling is precomputed per resized axis (resize-taps.ts) into constant tables read by the
 * `resize` kernel. Resized axes must have concrete sizes; other axes (batch, channels) may be symbolic.
 */
import { isFloat } from '../../../../formats/dtype.js';
import type { Atom } from '../../../ir/types.js';
import { tensorFromNumbers } from '../tensor-values.js';
import { axisTaps, type AxisSpec, type AxisTaps, type CoordMode, type NearestMode, type ResizeMode, type ResizeOpts } from './resize-taps.js';
import { axisOf, numberValues } from './shape-input.js';
import type { ConvertCtx, ConverterTable } from './types.js';
import { tensorInfo } from './util.js';

const MODES = ['nearest', 'linear', 'cubic'];
const COORDS = ['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_crop_and_resize'];
const NEAREST = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];
const POLICIES = ['stretch', 'not_larger', 'not_smaller'];

function strAttr(ctx: ConvertCtx, name: string, dflt: string, allowed: readonly string[]): string {
  const a = ctx.attr(name);
  const v = a?.type === 'string' ? a.value : dflt;
  if (!allowed.includes(v)) ctx.unsupported(`${name} '${v}'`, `Supported values: ${allowed.join(', ')}.`);
  return v;
}

/** Whether an axis' table reads input x for output x with weight 1 everywhere (nothing to resample). */
function isIdentity(t: AxisTaps, a: AxisSpec): boolean {
  if (a.outLen !== a.inLen) return false;
  return t.idx.every((row, x) => t.inside[x] === 1 && row.every((i, k) => (t.w[x]![k] === 0 ? true : i === x && t.w[x]![k] === 1)));
}

export const RESIZE_CONVERTERS: ConverterTable = {
  Resize: {
    attrs: ['mode', 'coordinate_transformation_mode', 'nearest_mode', 'cubic_coeff_a', 'exclude_outside', 'extrapolation_value',
      'antialias', 'axes', 'keep_aspect_ratio_policy'],
    constInputs: [1, 2, 3],
    convert(ctx: ConvertCtx) {
      const x = ctx.required(0, 'X');
      const info = tensorInfo(ctx, x, 'X'), r = info.shape.length;
      const mode = strAttr(ctx, 'mode', 'nearest', MODES) as ResizeMode;
      const coord = (ctx.opset < 11 ? 'asymmetric' : strAttr(ctx, 'coordinate_transformation_mode', 'half_pixel', COORDS)) as CoordMode;
      const opts: ResizeOpts = {
        mode, coord,
        nearest: (ctx.opset < 11 ? 'floor' : strAttr(ctx, 'nearest_mode', 'round_prefer_floor', NEAREST)) as NearestMode,
        cubicA: ctx.attrFloat('cubic_coeff_a', -0.75),
        excludeOutside: ctx.attrInt('exclude_outside', 0) !== 0,
        antialias: ctx.attrInt('antialias', 0) !== 0,
      };
      const policy = strAttr(ctx, 'keep_aspect_ratio_policy', 'stretch', POLICIES);
      const axes = (ctx.attrInts('axes') ?? [...Array(r).keys()]).map((a) => axisOf(ctx, a, r));
      const scalesIn = ctx.opset < 11 ? numberValues(ctx, 1, 'scales') : numberValues(ctx, 2, 'scales');
      const sizesIn = ctx.opset < 11 ? undefined : numberValues(ctx, 3, 'sizes');
      const roiIn = ctx.opset < 11 || coord !== 'tf_crop_and_resize' ? undefined : numberValues(ctx, 1, 'roi');
      const useSizes = sizesIn !== undefined && sizesIn.length > 0;
      const given = useSizes ? sizesIn : scalesIn;
      if (!given || given.length === 0) ctx.unsupported('a Resize with neither scales nor sizes');
      if (given.length !== axes.length) ctx.unsupported(`${given.length} ${useSizes ? 'sizes' : 'scales'} for ${axes.length} axes`);
      const inDim = (j: number): number | undefined => { const d = info.shape[axes[j]!]!; return d.k === 'int' ? d.value : undefined; };
      const need = (j: number): number => inDim(j) ?? ctx.unsupported(`resizing axis ${axes[j]} of symbolic size`, 'Export the model with fixed spatial sizes.');

      let scales: number[], outs: number[];
      if (useSizes) {
        if (policy === 'stretch') {
          outs = given.map((s, j) => (inDim(j) === s ? s : (need(j), s)));
          scales = given.map((s, j) => (inDim(j) === s ? 1 : s / need(j)));
        } else {
          const ratios = given.map((s, j) => s / need(j));
          const sc = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
          scales = given.map(() => sc);
          outs = given.map((_, j) => Math.round(sc * need(j)));
        }
      } else {
        scales = given;
        outs = given.map((s, j) => (s === 1 && inDim(j) === undefined ? -1 : Math.floor(s * need(j) + 1e-9)));
      }
      if (scales.some((s) => !(s > 0))) ctx.unsupported(`scales [${scales.join(', ')}] (must be positive)`);

      const extrapolation = ctx.attrFloat('extrapolation_value', 0);
      const weighted = mode !== 'nearest';
      if (weighted && !isFloat(info.dtype)) ctx.unsupported(`${mode} resizing of a ${info.dtype} tensor`);
      const wdtype = weighted ? info.dtype : 'float32';
      const base = ctx.node.name || 'resize';
      const used: number[] = [], tables: Atom[] = [], insides: Atom[] = [];
      let extrapolate = false;
      axes.forEach((a, j) => {
        const inLen = inDim(j);
        const identity = scales[j] === 1 && coord !== 'tf_crop_and_resize' && (inLen === undefined || outs[j] === inLen);
        if (identity) return;
        const spec: AxisSpec = {
          inLen: need(j), outLen: outs[j]!, scale: scales[j]!,
          ...(roiIn ? { roi: [roiIn[j]!, roiIn[j + axes.length]!] as const } : {}),
        };
        const t = axisTaps(spec, opts);
        if (isIdentity(t, spec)) return; // e.g. tf_crop_and_resize over a whole unit batch / channel axis
        const taps = t.idx[0]?.length ?? 1;
        used.push(a);
        tables.push(ctx.constantAtom(`${base}_idx${a}`, tensorFromNumbers('int32', [spec.outLen, taps], t.idx.flat())));
        if (weighted) tables.push(ctx.constantAtom(`${base}_w${a}`, tensorFromNumbers(wdtype, [spec.outLen, taps], t.w.flat())));
        insides.push(ctx.constantAtom(`${base}_inside${a}`, tensorFromNumbers(wdtype, [spec.outLen], t.inside)));
        if (t.inside.some((v) => v === 0)) extrapolate = true;
      });
      if (used.length === 0) { ctx.setOutput(0, ctx.op('identity', [x], {}, 0)); return; }
      const args = [x, ...tables, ...(extrapolate ? insides : [])];
      ctx.setOutput(0, ctx.op('resize', args, { axes: used, weighted, extrapolate, value: extrapolation }, 0));
    },
  },
};
