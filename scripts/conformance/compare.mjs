/**
 * Output comparison, as the ONNX backend test runner does it: same dtype and shape; floats within
 * |a − e| ≤ atol + rtol·|e| (atol 1e-7, rtol 1e-3) with NaN matching NaN and equal infinities matching;
 * integers and bools exactly.
 */
export const RTOL = 1e-3;
export const ATOL = 1e-7;

const FLOATS = new Set(['float16', 'bfloat16', 'float32', 'float64']);

/**
 * Compares one actual tensor with the expected one. `toNumbers` turns a tensor into JS numbers (dist's
 * formats/tensor.js). Returns undefined when they match, else a short reason.
 */
export function compareTensors(actual, expected, toNumbers, tol = { rtol: RTOL, atol: ATOL }) {
  if (actual.dtype !== expected.dtype) return `dtype ${actual.dtype}, expected ${expected.dtype}`;
  if (actual.shape.length !== expected.shape.length || actual.shape.some((d, i) => d !== expected.shape[i])) {
    return `shape [${actual.shape.join(', ')}], expected [${expected.shape.join(', ')}]`;
  }
  if (!FLOATS.has(expected.dtype)) {
    const a = actual.data, e = expected.data;
    if (a.byteLength !== e.byteLength) return `${a.byteLength} bytes, expected ${e.byteLength}`;
    const n = count(expected.shape);
    const width = n === 0 ? 1 : e.byteLength / n;
    const bool = expected.dtype === 'bool';
    for (let i = 0; i < n; i++) {
      let same = true;
      if (bool) same = (a[i] !== 0) === (e[i] !== 0);
      else for (let b = 0; b < width; b++) if (a[i * width + b] !== e[i * width + b]) { same = false; break; }
      if (!same) return `element ${i}: ${toNumbers(actual)[i]}, expected ${toNumbers(expected)[i]} (${expected.dtype}, exact)`;
    }
    return undefined;
  }
  const a = toNumbers(actual), e = toNumbers(expected);
  let bad = 0, first = -1, worst = 0;
  for (let i = 0; i < e.length; i++) {
    const x = a[i], y = e[i];
    if (x === y || (Number.isNaN(x) && Number.isNaN(y))) continue;
    const err = Math.abs(x - y);
    // Infinities match only themselves (Inf <= atol + rtol·Inf would hold for any x).
    if (Number.isFinite(y) && err <= tol.atol + tol.rtol * Math.abs(y)) continue;
    bad++;
    if (first < 0) first = i;
    if (!(err <= worst)) worst = err;
  }
  if (bad === 0) return undefined;
  return `${bad} of ${e.length} elements differ (first at ${first}: ${a[first]}, expected ${e[first]}; max |diff| ${worst})`;
}

function count(shape) {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
