/**
 * The CUDA toolchain around nvcc: ptxas and nvlink are found where nvcc itself runs them from, and a missing or
 * failing tool is a RelaxError naming it (and the kernel, where its output says which). Fake toolkits (shell
 * scripts) stand in for the real one, so these run without CUDA.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { joinUnit, type CSource } from '../../src/backends/c-like.js';
import { compileCuda, CUDA_UNIT_BYTES, cudaUnits, findCudaTool } from '../../src/backends/cuda/toolchain.js';
import { isRelaxError, type Diagnostic } from '../../src/diagnostics/index.js';
import { tmp } from './fixtures-c.js';

const PTX = ['.version 9.0', '.target sm_90', '.address_size 64',
  '.visible .entry k_one(', ')', '{', 'ret;', '}',
  '.visible .entry k_two(', ')', '{', 'ret;', '}', ''].join('\n');

function script(path: string, body: string): string {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/**
 * A fake toolkit: `bin/nvcc` answers --dryrun with `#$ PATH=<tools>` (like a wrapper script whose toolkit lies
 * elsewhere), logs its calls and writes PTX with the entries k_one and k_two; `tools/` holds the given ptxas and
 * nvlink scripts (none when null).
 */
function fakeToolkit(name: string, tools: { ptxas: string | null; nvlink: string | null }): { nvcc: string; log: string; tools: string } {
  const root = tmp(name);
  const bin = join(root, 'bin');
  const dir = join(root, 'tools');
  mkdirSync(bin);
  mkdirSync(dir);
  const log = join(root, 'calls.log');
  writeFileSync(log, '');
  const nvcc = script(join(bin, 'nvcc'), [
    `echo "nvcc $*" >> '${log}'`,
    `if [ "$1" = "--dryrun" ]; then echo '#$ PATH=${dir}' >&2; exit 0; fi`,
    'while [ $# -gt 0 ]; do if [ "$1" = "-o" ]; then out="$2"; fi; shift; done',
    `cat > "$out" <<'EOF'\n${PTX}EOF`,
  ].join('\n'));
  if (tools.ptxas !== null) script(join(dir, 'ptxas'), `echo "ptxas $*" >> '${log}'\n${tools.ptxas}`);
  if (tools.nvlink !== null) script(join(dir, 'nvlink'), `echo "nvlink $*" >> '${log}'\n${tools.nvlink}`);
  return { nvcc, log, tools: dir };
}

/** Writes "cubin" to the file after -o. */
const WRITE_OUT = 'while [ $# -gt 0 ]; do if [ "$1" = "-o" ]; then out="$2"; fi; shift; done\nprintf cubin > "$out"';

/** Two kernels, k_one and k_two, padded to `bytes` of source. */
function source(bytes: number): CSource {
  const pad = Math.max(0, Math.ceil(bytes / 2 / 40));
  const body = (name: string): string[] => [
    `extern "C" __global__ void __launch_bounds__(256) ${name}(float* A) {`,
    ...Array.from({ length: pad }, (_, i) => `  A[${i}LL] = A[${i}LL] + 1.0f; /* pad */`),
    '}',
  ];
  return joinUnit(['#include <stdint.h>'], [body('k_one'), body('k_two')], [{ name: 'k_one' }, { name: 'k_two' }]);
}

async function failure(p: Promise<unknown>): Promise<Diagnostic> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  if (!isRelaxError(e)) throw new Error(`expected a RelaxError, got ${String(e)}`);
  return e.diagnostic;
}

describe('cuda toolchain: ptxas and nvlink', () => {
  it('finds ptxas and nvlink where nvcc runs them from (nvcc --dryrun), and compiles a unit with them', async () => {
    const kit = fakeToolkit('cuda-kit-ok', { ptxas: WRITE_OUT, nvlink: WRITE_OUT });
    expect(await findCudaTool(kit.nvcc, 'ptxas')).toBe(join(kit.tools, 'ptxas'));
    expect(await findCudaTool(kit.nvcc, 'nvlink')).toBe(join(kit.tools, 'nvlink'));
    const out = await compileCuda(source(1000), tmp('cuda-kit-ok-job'), kit.nvcc, 'sm_90');
    expect(new TextDecoder().decode(out.cubin)).toBe('cubin');
    const calls = readFileSync(kit.log, 'utf8').trim().split('\n');
    expect(calls.filter((c) => c.startsWith('nvcc --dryrun'))).toHaveLength(1); // asked once per nvcc
    expect(calls).toContain('nvcc -ptx -O3 -std=c++17 -arch=sm_90 -o kernels.ptx kernels.cu');
    expect(calls).toContain('ptxas -arch=sm_90 -m64 kernels.ptx -o kernels.cubin'); // what nvcc -cubin runs
  });

  it('a split source: relocatable unit cubins (ptxas --compile-only) joined by nvlink --arch', async () => {
    const kit = fakeToolkit('cuda-kit-split', { ptxas: WRITE_OUT, nvlink: WRITE_OUT });
    const src = source(CUDA_UNIT_BYTES + 10_000);
    expect(cudaUnits(src)).toHaveLength(2);
    await compileCuda(src, tmp('cuda-kit-split-job'), kit.nvcc, 'sm_90');
    const calls = readFileSync(kit.log, 'utf8').trim().split('\n');
    expect(calls.filter((c) => c === 'ptxas -arch=sm_90 -m64 --compile-only kernels.ptx -o kernels.cubin')).toHaveLength(2);
    expect(calls).toContain('nvlink --arch=sm_90 -o kernels.cubin unit0.cubin unit1.cubin');
  });

  it('nvcc missing: RLX_TOOLCHAIN_MISSING naming nvcc', async () => {
    const d = await failure(compileCuda(source(1000), tmp('cuda-no-nvcc'), join(tmp('cuda-no-nvcc-bin'), 'nvcc'), 'sm_90'));
    expect(d.code).toBe('RLX_TOOLCHAIN_MISSING');
    expect(d.message).toMatch(/could not run nvcc/);
    expect(d.hint).toMatch(/\$NVCC/);
  });

  it('ptxas missing: RLX_TOOLCHAIN_MISSING naming ptxas, before anything is compiled', async () => {
    const kit = fakeToolkit('cuda-kit-no-ptxas', { ptxas: null, nvlink: WRITE_OUT });
    const d = await failure(compileCuda(source(1000), tmp('cuda-kit-no-ptxas-job'), kit.nvcc, 'sm_90'));
    expect(d.code).toBe('RLX_TOOLCHAIN_MISSING');
    expect(d.message).toMatch(/^ptxas was not found beside nvcc/);
    expect(d.hint).toMatch(/CUDA toolkit.*ptxas/);
    expect(readFileSync(kit.log, 'utf8')).not.toMatch(/nvcc -ptx/);
  });

  it('nvlink missing: RLX_TOOLCHAIN_MISSING naming nvlink, before the units are compiled', async () => {
    const kit = fakeToolkit('cuda-kit-no-nvlink', { ptxas: WRITE_OUT, nvlink: null });
    const d = await failure(compileCuda(source(CUDA_UNIT_BYTES + 10_000), tmp('cuda-kit-no-nvlink-job'), kit.nvcc, 'sm_90'));
    expect(d.code).toBe('RLX_TOOLCHAIN_MISSING');
    expect(d.message).toMatch(/^nvlink was not found beside nvcc/);
    expect(readFileSync(kit.log, 'utf8')).not.toMatch(/nvcc -ptx/);
    // A small source needs no nvlink.
    await compileCuda(source(1000), tmp('cuda-kit-no-nvlink-small'), kit.nvcc, 'sm_90');
  });

  it('ptxas failing: RLX_TOOLCHAIN_FAILED with its output and the kernel whose PTX it rejected', async () => {
    // Line 11 of the fake PTX lies in k_two's body.
    const kit = fakeToolkit('cuda-kit-bad-ptxas', { ptxas: "echo \"ptxas kernels.ptx, line 11; error   : Unknown modifier '.bogus'\" >&2\nexit 255", nvlink: WRITE_OUT });
    const d = await failure(compileCuda(source(1000), tmp('cuda-kit-bad-ptxas-job'), kit.nvcc, 'sm_90'));
    expect(d.code).toBe('RLX_TOOLCHAIN_FAILED');
    expect(d.message).toMatch(/^ptxas failed to assemble kernels\.ptx \(exit 255\):\n.*Unknown modifier/);
    expect(d.where).toEqual({ kernel: 'k_two' });
    expect(d.hint).toMatch(/kernels\.ptx/);
  });

  it('nvlink failing: RLX_TOOLCHAIN_FAILED naming nvlink and the kernel it quotes', async () => {
    const kit = fakeToolkit('cuda-kit-bad-nvlink', { ptxas: WRITE_OUT, nvlink: "echo \"nvlink error   : Multiple definition of 'k_one' in 'unit1.cubin'\" >&2\nexit 1" });
    const d = await failure(compileCuda(source(CUDA_UNIT_BYTES + 10_000), tmp('cuda-kit-bad-nvlink-job'), kit.nvcc, 'sm_90'));
    expect(d.code).toBe('RLX_TOOLCHAIN_FAILED');
    expect(d.message).toMatch(/^nvlink failed to link the units' cubins into kernels\.cubin \(exit 1\):\n.*Multiple definition/);
    expect(d.where).toEqual({ kernel: 'k_one' });
  });
});
