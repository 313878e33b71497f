/**
 * Session: loads an artifact directory (manifest, VM program, weights, kernels), checks file hashes, and runs
 * the model on a device. Imports only formats and devices, never the compiler.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RelaxError } from '../diagnostics/index.js';
import { MANIFEST_FORMAT, type Manifest, type TargetKind } from '../formats/manifest.js';
import { readSafetensors } from '../formats/safetensors.js';
import { byteLength, type HostTensor } from '../formats/tensor.js';
import type { VMProgram } from '../formats/vm.js';
import type { Device } from './device.js';
import { openDevice } from './devices.js';
import { runFunction, type DeviceTensor } from './vm.js';

export interface SessionOptions {
  /** Defaults to the artifact's target kind. */
  readonly device?: TargetKind;
}

export class Session {
  private constructor(
    readonly manifest: Manifest,
    private readonly program: VMProgram,
    private readonly device: Device,
    private readonly constants: Map<string, DeviceTensor>,
  ) {}

  static async load(dir: string, opts: SessionOptions = {}): Promise<Session> {
    let manifest: Manifest;
    try {
      manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    } catch {
      throw new RelaxError('RLX_ARTIFACT_INVALID', `no readable manifest.json in ${dir}`, undefined, 'Point at an artifact directory: <outDir>/<model>/<target>.');
    }
    if (manifest.format !== MANIFEST_FORMAT) {
      throw new RelaxError('RLX_ARTIFACT_INVALID', `artifact format ${manifest.format} is not supported (this runtime reads format ${MANIFEST_FORMAT})`, undefined, 'Rebuild the artifact with this version of relax.');
    }
    const files = new Map<string, Uint8Array>();
    for (const f of manifest.files) {
      const data = new Uint8Array(readFileSync(join(dir, f.path)));
      const sum = createHash('sha256').update(data).digest('hex');
      if (sum !== f.sha256) throw new RelaxError('RLX_ARTIFACT_INVALID', `${f.path} in ${dir} does not match its sha256 in the manifest`, undefined, 'The artifact was modified or half-copied; rebuild it.');
      files.set(f.path, data);
    }
    const kind = opts.device ?? manifest.target.kind;
    if (kind !== manifest.target.kind) {
      throw new RelaxError('RLX_RUN_DEVICE_MISMATCH', `artifact was built for ${manifest.target.kind}, not ${kind}`, undefined, `Run it with --device ${manifest.target.kind}, or build for ${kind}.`);
    }
    const program = JSON.parse(new TextDecoder().decode(files.get(manifest.program)!)) as VMProgram;
    const device = await openDevice(kind);
    await device.loadKernels(dir, manifest);
    const constants = new Map<string, DeviceTensor>();
    for (const [name, t] of Object.entries(readSafetensors(files.get(manifest.weights)!))) constants.set(name, upload(device, t));
    return new Session(manifest, program, device, constants);
  }

  /** Runs `main`; outputs come back in graph-output order. */
  async run(inputs: Readonly<Record<string, HostTensor>>): Promise<HostTensor[]> {
    const fn = this.program.functions.main!;
    const known = new Set(fn.params.map((p) => p.name));
    for (const name of Object.keys(inputs)) {
      if (!known.has(name)) throw new RelaxError('RLX_RUN_BAD_INPUT', `the model has no input named '${name}'`, undefined, `Inputs: ${[...known].join(', ')}.`);
    }
    const args = fn.params.map((p) => {
      const t = inputs[p.name];
      if (!t) throw new RelaxError('RLX_RUN_BAD_INPUT', `missing input '${p.name}'`, undefined, `Inputs: ${[...known].join(', ')}.`);
      return upload(this.device, t);
    });
    try {
      const outs = await runFunction(fn, { device: this.device, constants: this.constants, kernels: new Map(this.manifest.kernels.map((k) => [k.name, k])) }, args);
      await this.device.sync();
      const result: HostTensor[] = [];
      for (const o of outs) result.push({ dtype: o.dtype, shape: [...o.shape], data: await this.device.download(o.buf, o.offset, byteLength(o.dtype, o.shape)) });
      return result;
    } finally {
      for (const a of args) this.device.free(a.buf);
    }
  }

  dispose(): void {
    for (const c of this.constants.values()) this.device.free(c.buf);
    this.constants.clear();
    this.device.dispose();
  }
}

function upload(device: Device, t: HostTensor): DeviceTensor {
  const buf = device.alloc(Math.max(4, t.data.byteLength));
  if (t.data.byteLength) device.upload(buf, t.data, 0);
  return { kind: 'tensor', dtype: t.dtype, shape: t.shape, buf, offset: 0 };
}
