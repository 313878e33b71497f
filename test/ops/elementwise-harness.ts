/**
 * Test harness for elementwise ops: builds one graph op on concrete tensors, legalizes it, and runs the kernel
 * both with the TIR interpreter and as compiled C (the cpu backend, through koffi), so every edge case checks
 * both implementations against the same expected numbers.
 */
import { cpuBackend } from '../../src/backends/cpu/index.js';
import { createCpuDevice } from '../../src/backends/cpu/device.js';
import type { Attrs, StructInfo } from '../../src/compiler/ir/types.js';
import { getOp } from '../../src/compiler/ops/registry.js';
import { int } from '../../src/compiler/tir/expr.js';
import { floatToHalf, interpretPrimFunc } from '../../src/compiler/tir/interpret.js';
import type { DType, PrimFunc } from '../../src/compiler/tir/types.js';
import { DTYPE_BYTES } from '../../src/formats/dtype.js';
import { numel, toNumbers, type HostTensor } from '../../src/formats/tensor.js';
import { cpuTarget, tmp, writeArtifact } from '../backends/fixtures-c.js';

/** A tensor of `dtype` holding `values` (16-bit floats rounded to nearest even; 64-bit ints exact via BigInt). */
export function tensor(dtype: DType, values: readonly (number | bigint)[], shape: number[] = [values.length]): HostTensor {
  const data = new Uint8Array(numel(shape) * DTYPE_BYTES[dtype]);
  const dv = new DataView(data.buffer);
  const f = new Float32Array(1), u = new Uint32Array(f.buffer);
  values.forEach((raw, i) => {
    const v = Number(raw);
    switch (dtype) {
      case 'float32': dv.setFloat32(i * 4, v, true); break;
      case 'float64': dv.setFloat64(i * 8, v, true); break;
      case 'float16': dv.setUint16(i * 2, floatToHalf(v), true); break;
      case 'bfloat16': f[0] = v; dv.setUint16(i * 2, u[0]! >>> 16, true); break; // exact inputs only
      case 'int8': dv.setInt8(i, v); break;
      case 'uint8': case 'bool': dv.setUint8(i, v); break;
      case 'int16': dv.setInt16(i * 2, v, true); break;
      case 'uint16': dv.setUint16(i * 2, v, true); break;
      case 'int32': dv.setInt32(i * 4, v, true); break;
      case 'uint32': dv.setUint32(i * 4, v, true); break;
      case 'int64': dv.setBigInt64(i * 8, BigInt(raw), true); break;
      case 'uint64': dv.setBigUint64(i * 8, BigInt(raw), true); break;
    }
  });
  return { dtype, shape, data };
}

/** int64/uint64 elements as BigInt (exact beyond 2^53). */
export function bigints(t: HostTensor): bigint[] {
  const dv = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return Array.from({ length: t.data.byteLength / 8 }, (_, i) => (t.dtype === 'int64' ? dv.getBigInt64(i * 8, true) : dv.getBigUint64(i * 8, true)));
}

export interface OpCase {
  readonly op: string;
  readonly attrs?: Attrs;
  readonly inputs: readonly HostTensor[];
}

const sinfo = (t: HostTensor): StructInfo => ({ k: 'tensor', dtype: t.dtype, shape: t.shape.map((d) => int(d)) });

/** The case's kernel (named `name`) and its output tensor info. */
export function legalizeCase(c: OpCase, name: string): { fn: PrimFunc; out: HostTensor } {
  const def = getOp(c.op);
  const args = c.inputs.map(sinfo), attrs = c.attrs ?? {};
  const o = def.infer(args, attrs);
  if (o.k !== 'tensor') throw new Error('tensor output expected');
  const fn = { ...def.legalize!({ name, args, out: o, attrs }), name };
  const shape = o.shape.map((e) => (e.k === 'int' ? e.value : NaN));
  return { fn, out: { dtype: o.dtype, shape, data: new Uint8Array(numel(shape) * DTYPE_BYTES[o.dtype]) } };
}

export function interpretCase(c: OpCase): HostTensor {
  const { fn, out } = legalizeCase(c, 'k');
  interpretPrimFunc(fn, [...c.inputs, out]);
  return out;
}

/** Compiles all cases into one kernels.so and runs each on the cpu device. */
export async function runCasesC(cases: readonly OpCase[]): Promise<HostTensor[]> {
  const built = cases.map((c, i) => legalizeCase(c, `case_${i}`));
  const res = await cpuBackend.codegen(built.map((b) => b.fn), cpuTarget, { tmpDir: tmp('ew-c') });
  const { dir, manifest } = writeArtifact(res, cpuTarget);
  const dev = createCpuDevice();
  try {
    await dev.loadKernels(dir, manifest);
    const outs: HostTensor[] = [];
    for (let i = 0; i < cases.length; i++) {
      const { out } = built[i]!;
      const bufs = [...cases[i]!.inputs, out].map((t) => { const b = dev.alloc(t.data.byteLength); dev.upload(b, t.data); return b; });
      dev.launch(res.kernels.find((k) => k.name === `case_${i}`)!, bufs.map((buf) => ({ buf, offset: 0 })), []);
      outs.push({ ...out, data: await dev.download(bufs[bufs.length - 1]!, 0, out.data.byteLength) });
      for (const b of bufs) dev.free(b);
    }
    return outs;
  } finally {
    dev.dispose();
  }
}

/** Elementwise equality where NaN equals NaN and -0 differs from 0; returns the first mismatch or undefined. */
export function sameValues(got: HostTensor, want: readonly number[], tol = 0): string | undefined {
  const g = toNumbers(got);
  if (g.length !== want.length) return `${g.length} elements, expected ${want.length}`;
  for (let i = 0; i < g.length; i++) {
    const x = g[i]!, y = want[i]!;
    const ok = Number.isNaN(y) ? Number.isNaN(x) : tol === 0 || !Number.isFinite(y) ? Object.is(x, y) : Math.abs(x - y) <= tol * (1 + Math.abs(y));
    if (!ok) return `element ${i}: got ${x}, expected ${y}`;
  }
  return undefined;
}
