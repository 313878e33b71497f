/**
 * Build-time sampling tables for ONNX Resize, one axis at a time (Resize is separable). For every output index
 * along an axis: the input indices it reads (edge-clamped), their weights, and whether the sample lies inside
 * the input (tf_crop_and_resize extrapolates outside). Follows the semantics of the ONNX spec's reference
 * implementation: the n taps are the n input positions nearest the source coordinate; linear/cubic weights
 * come from the kernel at each tap's distance (scaled and renormalized with antialias when downsampling);
 * exclude_outside zeroes taps outside the input and renormalizes.
 */

export type ResizeMode = 'nearest' | 'linear' | 'cubic';
export type CoordMode = 'half_pixel' | 'half_pixel_symmetric' | 'pytorch_half_pixel' | 'align_corners' | 'asymmetric' | 'tf_crop_and_resize';
export type NearestMode = 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil';

export interface AxisSpec {
  readonly inLen: number;
  readonly outLen: number;
  readonly scale: number;
  /** tf_crop_and_resize region (normalized start, end). */
  readonly roi?: readonly [number, number];
}

export interface ResizeOpts {
  readonly mode: ResizeMode;
  readonly coord: CoordMode;
  readonly nearest: NearestMode;
  readonly cubicA: number;
  readonly excludeOutside: boolean;
  readonly antialias: boolean;
}

export interface AxisTaps {
  /** [outLen][taps] input indices, clamped into the input. */
  readonly idx: number[][];
  /** [outLen][taps] weights (all 1-tap entries are 1 for nearest). */
  readonly w: number[][];
  /** [outLen] 1 when the sample is inside the input, 0 where tf_crop_and_resize extrapolates. */
  readonly inside: number[];
}

/** Source coordinate of output index x. */
export function sourceCoord(x: number, a: AxisSpec, coord: CoordMode): number {
  const { inLen, outLen, scale } = a;
  switch (coord) {
    case 'half_pixel': return (x + 0.5) / scale - 0.5;
    case 'half_pixel_symmetric': {
      const adjustment = outLen / (scale * inLen);
      const offset = (inLen / 2) * (1 - adjustment);
      return offset + (x + 0.5) / scale - 0.5;
    }
    case 'pytorch_half_pixel': return outLen > 1 ? (x + 0.5) / scale - 0.5 : 0;
    case 'align_corners': {
      const width = scale * inLen; // the unrounded output length, as in the spec's reference
      return width === 1 ? 0 : (x * (inLen - 1)) / (width - 1);
    }
    case 'asymmetric': return x / scale;
    case 'tf_crop_and_resize': {
      const [s, e] = a.roi ?? [0, 1];
      return outLen > 1 ? s * (inLen - 1) + (x * (e - s) * (inLen - 1)) / (outLen - 1) : 0.5 * (s + e) * (inLen - 1);
    }
  }
}

function cubicKernel(d: number, A: number): number {
  const x = Math.abs(d);
  if (x <= 1) return ((A + 2) * x - (A + 3)) * x * x + 1;
  if (x < 2) return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  return 0;
}

function nearestIndex(c: number, mode: NearestMode): number {
  const f = Math.floor(c);
  if (c === f) return c;
  const r = c - f;
  switch (mode) {
    case 'round_prefer_floor': return r <= 0.5 ? f : f + 1;
    case 'round_prefer_ceil': return r < 0.5 ? f : f + 1;
    case 'floor': return f;
    case 'ceil': return f + 1;
  }
}

/** Number of taps of the interpolation kernel (antialias widens it when downsampling). */
function tapCount(o: ResizeOpts, scale: number): number {
  if (o.mode === 'nearest') return 1;
  const s = o.antialias ? Math.min(scale, 1) : 1;
  if (o.mode === 'linear') return o.antialias ? 2 - 2 * (Math.floor(-1 / s) + 1) : 2;
  const start = Math.floor(-2 / s) + 1;
  return o.antialias ? 2 - 2 * start : 4;
}

export function axisTaps(a: AxisSpec, o: ResizeOpts): AxisTaps {
  const clamp = (i: number): number => Math.min(Math.max(i, 0), a.inLen - 1);
  const n = tapCount(o, a.scale);
  const s = o.antialias ? Math.min(a.scale, 1) : 1;
  const idx: number[][] = [], w: number[][] = [], inside: number[] = [];
  for (let x = 0; x < a.outLen; x++) {
    const c = sourceCoord(x, a, o.coord);
    const isIn = o.coord === 'tf_crop_and_resize' && (c < 0 || c > a.inLen - 1) ? 0 : 1;
    inside.push(isIn);
    if (o.mode === 'nearest') {
      idx.push([clamp(nearestIndex(c, o.nearest))]);
      w.push([1]);
      continue;
    }
    const first = Math.ceil(c) - n / 2;
    const pos = [...Array(n).keys()].map((k) => first + k);
    let ws = pos.map((p) => (o.mode === 'linear' ? Math.max(0, 1 - Math.abs((p - c) * s)) : cubicKernel((p - c) * s, o.cubicA)));
    if (o.antialias) { const sum = ws.reduce((x0, y) => x0 + y, 0); ws = ws.map((v) => v / sum); }
    if (o.excludeOutside) {
      ws = ws.map((v, k) => (pos[k]! < 0 || pos[k]! >= a.inLen ? 0 : v));
      const sum = ws.reduce((x0, y) => x0 + y, 0);
      if (sum !== 0) ws = ws.map((v) => v / sum);
    }
    idx.push(pos.map(clamp));
    w.push(isIn ? ws : ws.map(() => 0)); // outside samples take the extrapolation value instead
  }
  return { idx, w, inside };
}
