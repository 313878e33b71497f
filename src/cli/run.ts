/** `relax run DIR --input NAME=FILE.pb ...`: runs an artifact on TensorProto inputs and writes output_<i>.pb. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { RelaxError } from '../diagnostics/index.js';
import type { TargetKind } from '../formats/manifest.js';
import type { HostTensor } from '../formats/tensor.js';
import { decodeTensorProto, encodeTensorProto } from '../formats/tensor-proto.js';
import { usageError } from './usage.js';

export async function runCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: { input: { type: 'string', multiple: true }, out: { type: 'string' }, device: { type: 'string' } },
    });
  } catch (e) {
    throw usageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw usageError('relax run takes exactly one artifact directory');
  const device = values.device as TargetKind | undefined;
  if (device && !['cpu', 'webgpu', 'cuda'].includes(device)) throw usageError(`--device must be cpu, webgpu or cuda, got '${device}'`);
  const inputs: Record<string, HostTensor> = {};
  for (const spec of values.input ?? []) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw usageError(`--input expects NAME=FILE.pb, got '${spec}'`);
    const name = spec.slice(0, eq), file = resolve(spec.slice(eq + 1));
    let bytes: Uint8Array;
    try { bytes = readFileSync(file); } catch {
      throw new RelaxError('RLX_RUN_BAD_INPUT', `cannot read input file ${file} for '${name}'`);
    }
    try {
      inputs[name] = decodeTensorProto(bytes, { baseDir: resolve(file, '..') }).tensor;
    } catch (e) {
      throw new RelaxError('RLX_RUN_BAD_INPUT', `input file ${file} for '${name}' is not a readable onnx.TensorProto: ${(e as Error).message}`);
    }
  }
  const { Session } = await import('../runtime/session.js');
  const session = await Session.load(resolve(positionals[0]!), device ? { device } : {});
  try {
    const outs = await session.run(inputs);
    const outDir = resolve(values.out ?? 'out');
    mkdirSync(outDir, { recursive: true });
    outs.forEach((t, i) => {
      const name = session.manifest.outputs[i]?.name ?? `output_${i}`;
      writeFileSync(join(outDir, `output_${i}.pb`), encodeTensorProto(t, name));
      process.stderr.write(`output_${i} (${name}): ${t.dtype}[${t.shape.join(', ')}] → ${join(outDir, `output_${i}.pb`)}\n`);
    });
  } finally {
    session.dispose();
  }
  return 0;
}
