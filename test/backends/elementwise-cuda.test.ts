/**
 * CUDA codegen for float16/bfloat16 and 64-bit integer elementwise kernels: ONNX node tests go through the cuda
 * pipeline (fusion + GPU schedule), the printed CUDA keeps 16-bit storage with float compute, and nvcc compiles it.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cudaBackend, emitCudaSource } from '../../src/backends/cuda/index.js';
import { findNvcc } from '../../src/backends/cuda/toolchain.js';
import { runPipeline } from '../../src/compiler/compile.js';
import { importOnnx } from '../../src/compiler/frontend/onnx/import.js';
import { resolvePipeline } from '../../src/compiler/pipeline/resolve.js';
import type { PrimFunc } from '../../src/compiler/tir/types.js';
import { cudaTarget, mustRun, tmp } from './fixtures-c.js';

const NODE = resolve(__dirname, '../../../shared/conformance/onnx-node');
const HALF = ['test_mod_mixed_sign_float16', 'test_max_float16', 'test_cast_DOUBLE_to_FLOAT16', 'test_cast_FLOAT16_to_DOUBLE',
  'test_cast_FLOAT_to_BFLOAT16', 'test_cast_BFLOAT16_to_FLOAT'];
const INT64 = ['test_pow_types_int64_int64', 'test_mod_int64_fmod', 'test_div_uint64', 'test_mod_uint64', 'test_where_long_example',
  'test_max_int64', 'test_equal_uint64'];

/** The model's kernels after the cuda pipeline, renamed `<test>_<kernel>` so several models share one file. */
function kernels(test: string): PrimFunc[] {
  const path = join(NODE, test, 'model.onnx');
  const mod = importOnnx(readFileSync(path), { modelPath: path, modelName: test });
  const run = runPipeline(mod, { model: test, target: cudaTarget, pipeline: resolvePipeline(cudaTarget, 'default') });
  return Object.values(run.mod.tir).map((f) => ({ ...f, name: `${test.slice(5)}_${f.name}` }));
}

describe('cuda codegen of float16/bfloat16 and int64 elementwise kernels', () => {
  it('stores 16-bit floats as uint16_t, computes in float and rounds with cvt.rn on store', () => {
    const src = emitCudaSource(kernels('test_mod_mixed_sign_float16')).source;
    expect(src).toMatch(/const uint16_t\* A, const uint16_t\* B, uint16_t\* T_\w+/);
    expect(src).toContain('cvt.rn.f16.f32');
    expect(src).toContain('rlx_truncmod_f32(rlx_f16_to_f32(A[');
    expect(src).not.toContain('half');
    const bf = emitCudaSource(kernels('test_cast_FLOAT_to_BFLOAT16')).source;
    expect(bf).toContain('rlx_f32_to_bf16(');
    expect(emitCudaSource(kernels('test_cast_DOUBLE_to_FLOAT16')).source).toContain('= rlx_f64_to_f16(A[');
  });

  it('prints int64 kernels with guarded division and integer pow', () => {
    const src = emitCudaSource(INT64.flatMap(kernels)).source;
    expect(src).toContain('int64_t rlx_pow_i64(int64_t a, int64_t b)');
    expect(src).toContain('uint64_t rlx_truncdiv_u64(uint64_t a, uint64_t b) { return b == 0 ? 0 : a / b; }');
    expect(src).toContain('rlx_truncmod_i64(');
  });
});

/** With RELAX_EW_CASES=all: every elementwise node test of the suite (about 155). */
const EW_OPS = new Set(('Abs Neg Exp Log Sqrt Sin Cos Tanh Sigmoid Erf Floor Ceil Round Sign Reciprocal Softplus Elu LeakyRelu ' +
  'HardSigmoid HardSwish Gelu Relu Pow Mod Min Max Sum Mean Add Sub Mul Div And Or Xor Not Equal Less Greater LessOrEqual ' +
  'GreaterOrEqual IsNaN IsInf Where Cast Clip Dropout Identity').split(' '));
const ALL = process.env.RELAX_EW_CASES === 'all'
  ? readFileSync(join(NODE, 'INDEX.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'))
    .filter((c) => EW_OPS.has(c[1]!) && !c[3]!.includes('seq[')).map((c) => c[0]!)
  : [...HALF, ...INT64];

describe.runIf(mustRun(findNvcc() !== null, 'nvcc'))('nvcc compiles them', () => {
  it('compiles every float16/bfloat16 and int64 kernel for sm_90', async () => {
    const fns = ALL.flatMap(kernels);
    expect(fns.length).toBeGreaterThanOrEqual(ALL.length);
    const res = await cudaBackend.codegen(fns, cudaTarget, { tmpDir: tmp('ew-nvcc') });
    expect(res.files.map((f) => f.path)).toEqual(['kernels.cu', 'kernels.cubin', 'kernels.ptx']);
    const ptx = new TextDecoder().decode(res.files[2]!.data);
    for (const f of fns) expect(ptx).toContain(`.entry ${f.name}`);
    expect(ptx).toContain('cvt.rn.f16.f32');
  }, 600_000);
});
