/**
 * The VM interpreter: runs a `program.json` function over a Device. Registers hold tensors (views into
 * storages), storages, tuples and nothing else; symbolic dims live in `env`.
 */
import { RelaxError } from '../diagnostics/index.js';
import { DTYPE_BYTES, type DType } from '../formats/dtype.js';
import type { KernelInfo } from '../formats/manifest.js';
import { byteLength, numel } from '../formats/tensor.js';
import { evalShapeExpr, type Arg, type ShapeExpr, type VMFunction } from '../formats/vm.js';
import type { Device, DeviceBuffer } from './device.js';

export interface DeviceTensor { readonly kind: 'tensor'; readonly dtype: DType; readonly shape: readonly number[]; readonly buf: DeviceBuffer; readonly offset: number }
interface Storage { readonly kind: 'storage'; readonly buf: DeviceBuffer; freed: boolean }
interface Tuple { readonly kind: 'tuple'; readonly items: readonly Value[] }
type Value = DeviceTensor | Storage | Tuple;

export interface VMContext {
  readonly device: Device;
  readonly constants: ReadonlyMap<string, DeviceTensor>;
  readonly kernels: ReadonlyMap<string, KernelInfo>;
}

function shapeStr(s: readonly (number | ShapeExpr)[]): string {
  return `[${s.map((d) => (typeof d === 'object' ? JSON.stringify(d) : String(d))).join(', ')}]`;
}

export async function runFunction(fn: VMFunction, ctx: VMContext, inputs: readonly DeviceTensor[]): Promise<DeviceTensor[]> {
  const regs: (Value | undefined)[] = new Array(fn.registers);
  inputs.forEach((t, i) => { regs[i] = t; });
  const env = new Map<string, number>();
  const val = (a: Arg): Value => {
    if ('r' in a) {
      const v = regs[a.r];
      if (!v) throw new Error(`VM register ${a.r} is empty`);
      return v;
    }
    if ('c' in a) {
      const c = ctx.constants.get(a.c);
      if (!c) throw new Error(`VM constant '${a.c}' is missing from the weights`);
      return c;
    }
    throw new Error(`VM argument ${JSON.stringify(a)} is not a value`);
  };
  const tensor = (a: Arg): DeviceTensor => {
    const v = val(a);
    if (v.kind !== 'tensor') throw new Error(`VM expected a tensor, got a ${v.kind}`);
    return v;
  };
  const num = (a: Arg) => { if (!('i' in a)) throw new Error('VM expected an int'); return evalShapeExpr(a.i, env); };
  const shape = (a: Arg) => { if (!('shape' in a)) throw new Error('VM expected a shape'); return a.shape.map((d) => evalShapeExpr(d, env)); };

  let pc = 0;
  for (;;) {
    const ins = fn.instrs[pc++];
    if (!ins) throw new Error('VM ran past the end of the program');
    if (ins.op === 'ret') {
      return ins.args.map((a) => tensor(a));
    }
    if (ins.op === 'goto') { pc = ins.to; continue; }
    if (ins.op === 'if') { if (num(ins.cond) === 0) pc = ins.else; continue; }
    const a = ins.args;
    let out: Value | undefined;
    switch (ins.fn) {
      case 'vm.match_shape': {
        const t = tensor(a[0]!);
        const idx = 'r' in a[0]! ? a[0].r : -1;
        const sig = fn.params[idx];
        const name = sig?.name ?? `#${idx}`;
        const want = (a[1] as { shape: readonly ShapeExpr[] }).shape;
        const dtype = (a[2] as { dtype: DType }).dtype;
        if (t.dtype !== dtype) throw new RelaxError('RLX_RUN_BAD_INPUT', `input '${name}' has dtype ${t.dtype}; the model expects ${dtype}`);
        if (t.shape.length !== want.length) throw new RelaxError('RLX_RUN_BAD_INPUT', `input '${name}' has shape [${t.shape.join(', ')}]; the model expects ${shapeStr(want)}`);
        want.forEach((d, i) => {
          const got = t.shape[i]!;
          if (typeof d === 'string' && !env.has(d)) { env.set(d, got); return; }
          const exp = evalShapeExpr(d, env);
          if (exp !== got) {
            throw new RelaxError('RLX_RUN_BAD_INPUT', `input '${name}' has shape [${t.shape.join(', ')}]; the model expects ${shapeStr(want)} (dim ${i} must be ${exp}${typeof d === 'string' ? `, the value of '${d}' bound earlier` : ''})`);
          }
        });
        break;
      }
      case 'vm.tensor_to_shape': {
        const t = tensor(a[0]!);
        const bytes = await ctx.device.download(t.buf, t.offset, byteLength(t.dtype, t.shape));
        const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        const w = DTYPE_BYTES[t.dtype];
        a.slice(1).forEach((s, i) => {
          const name = (s as { str: string }).str;
          const v = w === 8 ? Number(dv.getBigInt64(i * 8, true)) : dv.getInt32(i * 4, true);
          const prev = env.get(name);
          if (prev !== undefined && prev !== v) throw new RelaxError('RLX_RUN_BAD_INPUT', `dimension '${name}' is ${prev} but a tensor value says ${v}`);
          if (v < 0) throw new RelaxError('RLX_RUN_BAD_INPUT', `dimension '${name}' read from a tensor is negative (${v})`);
          env.set(name, v);
        });
        break;
      }
      case 'vm.alloc_storage': out = { kind: 'storage', buf: ctx.device.alloc(Math.max(4, num(a[0]!))), freed: false }; break;
      case 'vm.alloc_tensor': {
        const s = val(a[0]!);
        if (s.kind !== 'storage') throw new Error('vm.alloc_tensor needs a storage');
        out = { kind: 'tensor', buf: s.buf, offset: num(a[1]!), shape: shape(a[2]!), dtype: (a[3] as { dtype: DType }).dtype };
        break;
      }
      case 'vm.kill': {
        const s = val(a[0]!);
        if (s.kind === 'storage' && !s.freed) { ctx.device.free(s.buf); s.freed = true; }
        break;
      }
      case 'vm.reshape': {
        const t = tensor(a[0]!);
        const sh = shape(a[1]!);
        if (numel(sh) !== numel(t.shape)) throw new Error(`vm.reshape: ${t.shape} to ${sh} changes the element count`);
        out = { ...t, shape: sh };
        break;
      }
      case 'vm.tuple': out = { kind: 'tuple', items: a.map(val) }; break;
      case 'vm.tuple_get': {
        const t = val(a[0]!);
        if (t.kind !== 'tuple') throw new Error('vm.tuple_get needs a tuple');
        out = t.items[num(a[1]!)];
        break;
      }
      default: {
        if (!ins.fn.startsWith('kernel:')) throw new Error(`unknown VM builtin '${ins.fn}'`);
        const k = ctx.kernels.get(ins.fn.slice(7));
        if (!k) throw new Error(`kernel '${ins.fn.slice(7)}' is not in the manifest`);
        const args = a.map((x) => { const t = tensor(x); return { buf: t.buf, offset: t.offset }; });
        const vars = k.vars.map((v) => { const x = env.get(v); if (x === undefined) throw new Error(`kernel ${k.name} needs '${v}', which is unbound`); return x; });
        const grid = k.launch?.grid.map((g) => evalShapeExpr(g, env));
        ctx.device.launch(k, args, vars, grid);
      }
    }
    if (ins.dst !== undefined) regs[ins.dst] = out;
  }
}
