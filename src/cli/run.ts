/**
 * `relax run DIR --input NAME=FILE.pb ... [--out OUTDIR] [--device cpu|webgpu|cuda] [--json]`
 * `relax run --batch FILE [--device D] [--json]`: several (dir, inputs, out) sets in one process.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RelaxError, isRelaxError, toDiagnostic, type Diagnostic } from '../diagnostics/index.js';
import type { Manifest, TargetKind } from '../formats/manifest.js';
import type { HostTensor } from '../formats/tensor.js';
import { bool, parse, str, strs } from './args.js';
import { EXIT_FAILED, EXIT_OK, UsageError, printDiagnostic, reportError } from './errors.js';
import { line, type CliIO } from './io.js';

export const RUN_USAGE = `Usage: relax run DIR --input NAME=FILE.pb ... [options]
       relax run --batch FILE [--device D] [--json]

Runs a built artifact (<outDir>/<model>/<target>) on onnx.TensorProto inputs and writes OUTDIR/output_<i>.pb.

Options:
  -i, --input NAME=FILE   an input tensor (repeatable); NAME may be left out when the .pb file names it
  -o, --out OUTDIR        where outputs go (default: ./out)
  -d, --device D          cpu, webgpu or cuda (default: the artifact's target kind)
      --batch FILE        run every set listed in FILE in this one process (JSON array or one JSON object per
                          line: {"dir": DIR, "inputs": {"NAME": "FILE.pb"}, "out": OUTDIR}; paths relative to FILE);
                          a failing set does not stop the others; exit 1 when any set failed
      --json              print JSON events on stdout (run-done; with --batch also run-start and run-error)
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

/** One run: an artifact, its input files (absolute) and where outputs go (absolute). */
export interface RunSet {
  readonly dir: string;
  readonly inputs: readonly { readonly name: string | undefined; readonly file: string; readonly shown: string }[];
  readonly out: string;
}

interface Written { file: string; name: string; dtype: string; shape: readonly number[] }

export async function runCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { values: raw, positionals } = parse(argv, {
    input: { type: 'string', short: 'i', multiple: true },
    out: { type: 'string', short: 'o' },
    device: { type: 'string', short: 'd' },
    batch: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  }, RUN_USAGE, true);
  const values = {
    input: strs(raw.input), out: str(raw.out), device: str(raw.device), batch: str(raw.batch), json: bool(raw.json), help: bool(raw.help),
  };
  if (values.help) {
    io.stdout.write(`${RUN_USAGE}\n`);
    return EXIT_OK;
  }
  const json = values.json === true;
  try {
    const device = values.device;
    if (device !== undefined && device !== 'cpu' && device !== 'webgpu' && device !== 'cuda') {
      throw new UsageError(`--device expects cpu, webgpu or cuda, got '${device}'`, RUN_USAGE);
    }
    if (values.batch !== undefined) {
      if (positionals.length > 0 || values.input.length > 0 || values.out !== undefined) {
        throw new UsageError('--batch takes the artifact directories, inputs and output folders from its file: leave out DIR, --input and --out', RUN_USAGE);
      }
      const sets = await readBatchFile(path.resolve(io.cwd, values.batch), values.batch);
      return await runBatch(sets, device, json, io);
    }
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'run needs an artifact directory (or --batch FILE)' : `run takes one artifact directory, got ${positionals.length}`, RUN_USAGE);
    const set: RunSet = {
      dir: path.resolve(io.cwd, positionals[0]!),
      inputs: values.input.map((s) => inputSpec(s, io.cwd)),
      out: path.resolve(io.cwd, values.out ?? 'out'),
    };
    const { written, ms } = await runSet(set, device);
    if (json) line(io.stdout, JSON.stringify({ event: 'run-done', ms, outputs: written }));
    else for (const w of written) line(io.stdout, `${path.relative(io.cwd, w.file) || w.file}  ${w.name}  ${w.dtype}[${w.shape.join(', ')}]`);
    return EXIT_OK;
  } catch (e) {
    return reportError(io, e, json);
  }
}

function inputSpec(s: string, base: string): RunSet['inputs'][number] {
  const eq = s.indexOf('=');
  const spec = eq < 0 ? { name: undefined, file: s } : { name: s.slice(0, eq), file: s.slice(eq + 1) };
  if (spec.name === '' || spec.file === '') throw new UsageError(`--input expects NAME=FILE.pb, got '${spec.name ?? ''}=${spec.file}'`, RUN_USAGE);
  return { name: spec.name, file: path.resolve(base, spec.file), shown: spec.file };
}

/** Reads a batch file: a JSON array of sets, or one JSON set per line. */
export async function readBatchFile(file: string, shown: string): Promise<RunSet[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new UsageError(`cannot read batch file ${shown}`, RUN_USAGE);
  }
  const base = path.dirname(file);
  let items: unknown[];
  const trimmed = text.trim();
  try {
    items = trimmed.startsWith('[') ? (JSON.parse(trimmed) as unknown[]) : trimmed.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as unknown);
  } catch (e) {
    throw new UsageError(`batch file ${shown} is not JSON (an array of sets, or one set per line): ${(e as Error).message}`, RUN_USAGE);
  }
  return items.map((it, i) => {
    const bad = (what: string): never => { throw new UsageError(`batch file ${shown}, set [${i}]: ${what}`, RUN_USAGE); };
    if (typeof it !== 'object' || it === null || Array.isArray(it)) return bad('expected an object {"dir", "inputs", "out"}');
    const o = it as Record<string, unknown>;
    if (typeof o.dir !== 'string' || o.dir === '') return bad('"dir" must be the artifact directory');
    if (typeof o.out !== 'string' || o.out === '') return bad('"out" must be the output directory');
    const ins = o.inputs ?? {};
    let inputs: RunSet['inputs'];
    if (Array.isArray(ins)) {
      inputs = ins.map((f) => (typeof f === 'string' && f !== '' ? { name: undefined, file: path.resolve(base, f), shown: f } : bad('"inputs" entries must be file paths')));
    } else if (typeof ins === 'object' && ins !== null) {
      inputs = Object.entries(ins as Record<string, unknown>).map(([name, f]) =>
        (typeof f === 'string' && f !== '' ? { name, file: path.resolve(base, f), shown: f } : bad(`input '${name}' must be a file path`)));
    } else return bad('"inputs" must map input names to .pb files (or list .pb files that name their tensors)');
    return { dir: path.resolve(base, o.dir), inputs, out: path.resolve(base, o.out) };
  });
}

async function runBatch(sets: readonly RunSet[], device: TargetKind | undefined, json: boolean, io: CliIO): Promise<number> {
  let failed = 0;
  for (const [index, set] of sets.entries()) {
    if (json) line(io.stdout, JSON.stringify({ event: 'run-start', index, dir: set.dir }));
    try {
      const { written, ms } = await runSet(set, device);
      if (json) line(io.stdout, JSON.stringify({ event: 'run-done', index, dir: set.dir, ms, outputs: written }));
      else line(io.stdout, `ok  ${path.relative(io.cwd, set.dir) || set.dir}  ${written.length} output(s) in ${path.relative(io.cwd, set.out) || set.out}`);
    } catch (e) {
      failed++;
      const d: Diagnostic = e instanceof UsageError
        ? { code: 'RLX_USAGE', severity: 'error', message: e.message }
        : isRelaxError(e) ? e.diagnostic : toDiagnostic(e);
      if (json) {
        line(io.stdout, JSON.stringify({ event: 'run-error', index, dir: set.dir, code: d.code, message: d.message, ...(d.hint ? { hint: d.hint } : {}) }));
      } else {
        line(io.stdout, `err ${path.relative(io.cwd, set.dir) || set.dir}  ${d.code}`);
        printDiagnostic(io, d);
      }
    }
  }
  if (json) line(io.stdout, JSON.stringify({ event: 'batch-done', sets: sets.length, failed }));
  else line(io.stdout, `relax run: ${sets.length - failed} of ${sets.length} set(s) ran${failed ? `, ${failed} failed` : ''}`);
  return failed > 0 ? EXIT_FAILED : EXIT_OK;
}

/** Runs one set: reads its inputs, loads the artifact, runs `main` and writes OUT/output_<i>.pb. */
async function runSet(set: RunSet, device: TargetKind | undefined): Promise<{ written: Written[]; ms: number }> {
  const files: { name: string | undefined; file: string; shown: string; bytes: Uint8Array }[] = [];
  for (const s of set.inputs) {
    try {
      files.push({ ...s, bytes: new Uint8Array(await readFile(s.file)) });
    } catch {
      throw new UsageError(`cannot read input file ${s.shown}${s.name ? ` for '${s.name}'` : ''}`, RUN_USAGE);
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
  const session = await Session.load(set.dir, device ? { device } : {});
  try {
    const outs = await session.run(inputs);
    const ms = Math.round((performance.now() - t0) * 10) / 10;
    await mkdir(set.out, { recursive: true });
    const written: Written[] = [];
    for (const [i, t] of outs.entries()) {
      const name = session.manifest.outputs[i]?.name ?? `output_${i}`;
      const file = path.join(set.out, `output_${i}.pb`);
      await writeFile(file, tp.encodeTensorProto(t, name));
      written.push({ file, name, dtype: t.dtype, shape: t.shape });
    }
    return { written, ms };
  } finally {
    session.dispose();
  }
}
