/** Plain-JS reference implementations of N-D conv, conv_transpose and pooling (NC... layout) for the conv tests. */

export interface Nd { data: Float64Array; shape: number[] }

export interface WindowSpec { kernel: number[]; strides: number[]; dilations: number[]; pads: number[] }

const strides = (shape: readonly number[]): number[] => {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
};

/** Calls fn with every multi-index of `shape` in row-major order. */
export function forEachIndex(shape: readonly number[], fn: (idx: number[]) => void): void {
  const n = shape.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(shape.length).fill(0);
  for (let f = 0; f < n; f++) {
    let r = f;
    for (let i = shape.length - 1; i >= 0; i--) { idx[i] = r % shape[i]!; r = Math.floor(r / shape[i]!); }
    fn(idx);
  }
}

const get = (t: Nd, idx: readonly number[]): number => {
  const s = strides(t.shape);
  return t.data[idx.reduce((a, x, i) => a + x * s[i]!, 0)]!;
};

export function nd(shape: number[], f: (i: number) => number): Nd {
  return { shape, data: Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => f(i)) };
}

export function conv(x: Nd, w: Nd, b: Nd | undefined, spec: WindowSpec & { group: number }): Nd {
  const nsp = x.shape.length - 2, [N, C] = x.shape as [number, number], M = w.shape[0]!, g = spec.group, Cg = C / g, Mg = M / g;
  const out = x.shape.slice(2).map((d, i) => Math.floor((d + spec.pads[i]! + spec.pads[nsp + i]! - ((spec.kernel[i]! - 1) * spec.dilations[i]! + 1)) / spec.strides[i]!) + 1);
  const y = nd([N, M, ...out], () => 0);
  let o = 0;
  forEachIndex([N, M, ...out], ([n, m, ...os]) => {
    let acc = b ? b.data[m!]! : 0;
    for (let c = 0; c < Cg; c++) {
      forEachIndex(spec.kernel, (ks) => {
        const pos = os.map((oi, i) => oi * spec.strides[i]! - spec.pads[i]! + ks[i]! * spec.dilations[i]!);
        if (pos.some((p, i) => p < 0 || p >= x.shape[2 + i]!)) return;
        acc += get(x, [n!, Math.floor(m! / Mg) * Cg + c, ...pos]) * get(w, [m!, c, ...ks]);
      });
    }
    y.data[o++] = acc;
  });
  return y;
}

export function convTranspose(x: Nd, w: Nd, spec: WindowSpec & { group: number; outputPadding: number[] }): Nd {
  const nsp = x.shape.length - 2, [N, C] = x.shape as [number, number], g = spec.group, Cg = C / g, Mg = w.shape[1]!, M = Mg * g;
  const out = x.shape.slice(2).map((d, i) => spec.strides[i]! * (d - 1) + spec.outputPadding[i]! + (spec.kernel[i]! - 1) * spec.dilations[i]! + 1 - spec.pads[i]! - spec.pads[nsp + i]!);
  const y = nd([N, M, ...out], () => 0);
  const ys = strides(y.shape);
  // Scatter form (independent of the gather form the legalization uses).
  forEachIndex([N, C, ...x.shape.slice(2)], ([n, c, ...is]) => {
    const grp = Math.floor(c! / Cg);
    for (let mm = 0; mm < Mg; mm++) {
      forEachIndex(spec.kernel, (ks) => {
        const pos = is.map((ii, i) => ii * spec.strides[i]! - spec.pads[i]! + ks[i]! * spec.dilations[i]!);
        if (pos.some((p, i) => p < 0 || p >= out[i]!)) return;
        const oi = [n!, grp * Mg + mm, ...pos].reduce((a, v, i) => a + v * ys[i]!, 0);
        y.data[oi] = y.data[oi]! + get(x, [n!, c!, ...is]) * get(w, [c!, mm, ...ks]);
      });
    }
  });
  return y;
}

export function pool(x: Nd, spec: WindowSpec & { kind: 'max' | 'avg'; ceil?: boolean; countIncludePad?: boolean }): { y: Nd; argmax: number[] } {
  const nsp = x.shape.length - 2;
  const out = x.shape.slice(2).map((d, i) => {
    const n = d + spec.pads[i]! + spec.pads[nsp + i]! - ((spec.kernel[i]! - 1) * spec.dilations[i]! + 1);
    let o = (spec.ceil ? Math.ceil(n / spec.strides[i]!) : Math.floor(n / spec.strides[i]!)) + 1;
    if (spec.ceil && (o - 1) * spec.strides[i]! >= d + spec.pads[i]!) o--;
    return o;
  });
  const y = nd([x.shape[0]!, x.shape[1]!, ...out], () => 0);
  const xs = strides(x.shape);
  const argmax: number[] = [];
  let o = 0;
  forEachIndex(y.shape, ([n, c, ...os]) => {
    let best = -Infinity, bestAt = -1, sum = 0, count = 0;
    forEachIndex(spec.kernel, (ks) => {
      const pos = os.map((oi, i) => oi * spec.strides[i]! - spec.pads[i]! + ks[i]! * spec.dilations[i]!);
      const inPadded = pos.every((p, i) => p >= -spec.pads[i]! && p < x.shape[2 + i]! + spec.pads[nsp + i]!);
      if (pos.some((p, i) => p < 0 || p >= x.shape[2 + i]!)) { if (spec.countIncludePad && inPadded) count++; return; }
      const flat = [n!, c!, ...pos].reduce((a, v, i) => a + v * xs[i]!, 0);
      const v = x.data[flat]!;
      if (v > best) { best = v; bestAt = flat; }
      sum += v; count++;
    });
    y.data[o++] = spec.kind === 'max' ? best : sum / count;
    argmax.push(bestAt);
  });
  return { y, argmax };
}
