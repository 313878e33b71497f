// Compares two onnx.TensorProto files (rtol 1e-3, atol 1e-4) and prints one JSON line; exit 1 on mismatch.
import { readFileSync } from 'node:fs';
import { decodeTensorProto } from '../../dist/formats/tensor-proto.js';
import { toNumbers } from '../../dist/formats/tensor.js';

const [gotPath, wantPath] = process.argv.slice(2);
const got = decodeTensorProto(readFileSync(gotPath)).tensor;
const want = decodeTensorProto(readFileSync(wantPath)).tensor;
const a = toNumbers(got), b = toNumbers(want);
let maxAbs = 0, bad = 0;
for (let i = 0; i < b.length; i++) {
  const d = Math.abs(a[i] - b[i]);
  if (d > maxAbs) maxAbs = d;
  if (!(d <= 1e-4 + 1e-3 * Math.abs(b[i]))) bad++;
}
const same = got.dtype === want.dtype && got.shape.join() === want.shape.join();
console.log(JSON.stringify({ dtype: got.dtype, shape: got.shape, expectedShape: want.shape, n: b.length, maxAbs, mismatches: bad }));
process.exit(same && bad === 0 ? 0 : 1);
