/** `relax run DIR --input NAME=FILE.pb ... [--out OUTDIR] [--device cpu|webgpu|cuda] [--json]` */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RelaxError } from '../diagnostics/index.js';
import type { Manifest, TargetKind } from '../formats/manifest.js';
import type { HostTensor } from '../formats/tensor.js';
import { bool, parse, str, strs } from './args.js';
import { EXIT_OK, UsageError, reportError } from './errors.js';
import { line, type CliIO } from './io.js';

export const RUN_USAGE = `Usage: relax run DIR --input NAME=FILE.pb ... [options]

Runs a built artifact (<outDir>/<model>/<target>) on onnx.TensorProto inputs and writes OUTDIR/output_<i>.pb.

Options:
  -i, --input NAME=FILE   an input tensor (repeatable); NAME may be left out when the .pb file names it
  -o, --out OUTDIR        where outputs go (default: ./out)
  -d, --device D          cpu, webgpu or cuda (default: the artifact's target kind)
      --json              print a JSON summary on stdout
  -h, --help              show this help`;

interface SessionLike {
  readonly manifest: Manifest;
  run(inputs: Record<string, HostTensor>): Promise<HostTensor[]>;
  dispose(): void;
}
interface SessionModule {
  Session: { load(dir: string, opts?: { device?: TargetKind }): Promise<SessionLike> };
}
interface TensorProtoModule {
  decodeTensorProto(bytes: Uint8Array, opts?: { baseDir?: string }): { name: string; tensor: HostTensor };
  encodeTensorProto(t: HostTensor, name?: string): Uint8Array;
}

// Loaded lazily (and through variables, so this file builds on its own): `relax build` never loads the runtime.
const SESSION_MODULE = '../runtime/session.js';
const TENSOR_PROTO_MODULE = '../formats/tensor-proto.js';

export async function runCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { values: raw, positionals } = parse(argv, {
    input: { type: 'string', short: 'i', multiple: true },
    out: { type: 'string', short: 'o' },
    device: { type: 'string', short: 'd' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  }, RUN_USAGE, true);
  const values = { input: strs(raw.input), out: str(raw.out), device: str(raw.device), json: bool(raw.json), help: bool(raw.help) };
  if (values.help) {
    io.stdout.write(`${RUN_USAGE}\n`);
    return EXIT_OK;
  }
  const json = values.json === true;
  try {
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'run needs an artifact directory' : `run takes one artifact directory, got ${positionals.length}`, RUN_USAGE);
    const device = values.device;
    if (device !== undefined && device !== 'cpu' && device !== 'webgpu' && device !== 'cuda') {
      throw new UsageError(`--device expects cpu, webgpu or cuda, got '${device}'`, RUN_USAGE);
    }
    const specs = values.input.map((s) => {
      const eq = s.indexOf('=');
      return eq < 0 ? { name: undefined, file: s } : { name: s.slice(0, eq), file: s.slice(eq + 1) };
    });
    for (const s of specs) {
      if (s.name === '' || s.file === '') throw new UsageError(`--input expects NAME=FILE.pb, got '${s.name ?? ''}=${s.file}'`, RUN_USAGE);
    }
    const files: { name: string | undefined; file: string; shown: string; bytes: Uint8Array }[] = [];
    for (const s of specs) {
      const file = path.resolve(io.cwd, s.file);
      try {
        files.push({ name: s.name, file, shown: s.file, bytes: new Uint8Array(await readFile(file)) });
      } catch {
        throw new UsageError(`cannot read input file ${s.file}${s.name ? ` for '${s.name}'` : ''}`, RUN_USAGE);
      }
    }
    const tp = (await import(TENSOR_PROTO_MODULE)) as TensorProtoModule;
    const inputs: Record<string, HostTensor> = {};
    for (const f of files) {
      let decoded: { name: string; tensor: HostTensor };
      try {
        decoded = tp.decodeTensorProto(f.bytes, { baseDir: path.dirname(f.file) });
      } catch (e) {
        throw new RelaxError('RLX_RUN_BAD_INPUT', `input file ${f.shown} is not a readable onnx.TensorProto: ${e instanceof Error ? e.message : String(e)}`);
      }
      const name = f.name ?? decoded.name;
      if (!name) throw new UsageError(`input file ${f.shown} does not name its tensor: pass --input NAME=${f.shown}`, RUN_USAGE);
      inputs[name] = decoded.tensor;
    }
    const { Session } = (await import(SESSION_MODULE)) as SessionModule;
    const t0 = performance.now();
    const session = await Session.load(path.resolve(io.cwd, positionals[0]!), device ? { device } : {});
    try {
      const outs = await session.run(inputs);
      const ms = Math.round((performance.now() - t0) * 10) / 10;
      const outDir = path.resolve(io.cwd, values.out ?? 'out');
      await mkdir(outDir, { recursive: true });
      const written = [];
      for (const [i, t] of outs.entries()) {
        const name = session.manifest.outputs[i]?.name ?? `output_${i}`;
        const file = path.join(outDir, `output_${i}.pb`);
        await writeFile(file, tp.encodeTensorProto(t, name));
        written.push({ file, name, dtype: t.dtype, shape: t.shape });
      }
      if (json) line(io.stdout, JSON.stringify({ event: 'run-done', ms, outputs: written }));
      else for (const w of written) line(io.stdout, `${path.relative(io.cwd, w.file) || w.file}  ${w.name}  ${w.dtype}[${w.shape.join(', ')}]`);
    } finally {
      session.dispose();
    }
    return EXIT_OK;
  } catch (e) {
    return reportError(io, e, json);
  }
}
