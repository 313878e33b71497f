/**
 * ONNX → graph IR. Builds graph function `main`: params are graph inputs that are not initializers,
 * initializers and Constant outputs become module constants, each node is converted by its op family's
 * converter into bindings that carry `origin: { node, op, opset }`. Unsupported ops or attributes are
 * RLX_ONNX_UNSUPPORTED diagnostics.
 */
import { atomsOf } from '../../ir/util.js';
import { RelaxError, withLocation } from '../../../diagnostics/index.js';
import { ONNX_DTYPE } from '../../../formats/dtype.js';
import type { HostTensor } from '../../../formats/tensor.js';
import type { Atom, Attrs, Binding, IRModule, Origin, Param, StructInfo, Value } from '../../ir/types.js';
import { getOp } from '../../ops/registry.js';
import { int, ivar } from '../../tir/expr.js';
import type { Expr } from '../../tir/types.js';
import { CONVERTERS, supportedOnnxOps } from './converters/index.js';
import type { ConvertCtx } from './converters/types.js';
import { loadOnnx, type OnnxAttr, type OnnxNode, type OnnxValueInfo } from './load.js';
import { evaluateNode, knownFromTensor, knownToTensor, type EvalInput, type KnownValue } from './shape-values.js';

export interface ImportOptions {
  /** Path of the .onnx file (its folder holds any external data). */
  readonly modelPath: string;
  /** Model name (from the config), for diagnostics. */
  readonly modelName: string;
  /**
   * Graph inputs bound to values at build time (config `bind`): each becomes a constant exactly like an
   * initializer, and is no longer a parameter of `main`. Every name must be a graph input.
   */
  readonly bind?: Readonly<Record<string, HostTensor>>;
  /** Config key path of each bound input (`models.net.bind.shape`), for diagnostics. */
  readonly bindKeyPaths?: Readonly<Record<string, string>>;
}

/** Turns an ONNX name into an identifier: [A-Za-z0-9_], no leading digit or underscore. */
export function sanitizeName(s: string): string {
  let r = s.replace(/[^A-Za-z0-9_]/g, '_').replace(/_+/g, '_').replace(/^_+/, '').replace(/_+$/, '');
  if (r === '') r = 'v';
  if (/^[0-9]/.test(r)) r = `v${r}`;
  return r;
}

/** Symbolic dim names: identifiers that never collide with the loop / iter var names legalization uses. */
export function sanitizeDimName(s: string): string {
  const r = sanitizeName(s);
  return /^(v_)?(ax|k)[0-9]+$/.test(r) ? `${r}_dim` : r;
}

class Namer {
  private readonly used = new Set<string>();
  reserve(n: string): void { this.used.add(n); }
  has(n: string): boolean { return this.used.has(n); }
  fresh(base: string): string {
    let n = base;
    for (let i = 1; this.used.has(n); i++) n = `${base}_${i}`;
    this.used.add(n);
    return n;
  }
}

function unsupportedError(what: string, node: OnnxNode, opset: number, hint?: string): RelaxError {
  const where = { node: node.name, op: node.opType, opset };
  return new RelaxError('RLX_ONNX_UNSUPPORTED',
    `ONNX ${node.opType} (opset ${opset}) in node '${node.name || '(unnamed)'}': ${what} is not supported`, where,
    hint ?? `relax supports these ONNX ops: ${supportedOnnxOps().join(', ')}. Simplify the model or open an issue with the model attached.`);
}

export function importOnnx(bytes: Uint8Array, opts: ImportOptions): IRModule {
  return withLocation({ model: opts.modelName }, () => importModel(bytes, opts));
}

function importModel(bytes: Uint8Array, opts: ImportOptions): IRModule {
  const path = process.getBuiltinModule('node:path') as typeof import('node:path');
  const model = loadOnnx(bytes, { baseDir: path.dirname(opts.modelPath) });
  const opset = model.opsets.get('');
  if (opset === undefined) {
    throw new RelaxError('RLX_ONNX_INVALID', 'the model does not import the default ONNX opset (ai.onnx)', undefined,
      'Re-export the model; every ONNX model must list its ai.onnx opset version.');
  }
  const g = model.graph;
  if (g.sparseInitializers > 0) {
    throw new RelaxError('RLX_ONNX_UNSUPPORTED', `the graph has ${g.sparseInitializers} sparse initializer(s), which relax does not support`,
      undefined, 'Densify the sparse initializers before compiling.');
  }

  const varNames = new Namer(), constNames = new Namer(), symNames = new Namer();
  const atoms = new Map<string, Atom>(); // ONNX value name -> atom
  const sinfos = new Map<string, StructInfo>(); // graph var -> struct info
  const constants: Record<string, HostTensor> = {};
  const bindings: Binding[] = [];
  const symCounters = new Map<string, number>();

  const addConstant = (name: string, t: HostTensor): Atom => {
    const n = constNames.fresh(name === '' ? 'const' : name);
    constants[n] = t;
    return { k: 'const', name: n };
  };
  for (const [name, t] of g.initializers) atoms.set(name, addConstant(name, t));
  const bound = checkBind(g.inputs, g.initializers, opts);
  for (const [name, t] of bound) atoms.set(name, addConstant(name, t));

  // Known values (shape-values.ts): small tensors computed at import time, possibly over symbolic dims.
  const known = new Map<string, KnownValue | null>();
  const knownOrigin = new Map<string, Origin>(); // node that computed each known value
  const knownOf = (name: string | undefined): KnownValue | undefined => {
    if (name === undefined || name === '') return undefined;
    const k = known.get(name);
    if (k !== undefined) return k ?? undefined;
    const a = atoms.get(name);
    const kv = a?.k === 'const' ? knownFromTensor(constants[a.name]!) ?? null : null;
    if (a?.k === 'const') known.set(name, kv);
    return kv ?? undefined;
  };
  const recordKnown = (name: string, kv: KnownValue, origin: Origin): void => {
    known.set(name, kv);
    knownOrigin.set(name, origin);
    const t = knownToTensor(kv);
    if (t) atoms.set(name, addConstant(name, t));
  };
  /** A symbolic known value becomes a tensor (shape_to_tensor) the first time a kernel needs it. */
  const materialize = (name: string, origin: Origin): Atom | undefined => {
    const kv = known.get(name);
    if (!kv) return undefined;
    const args: Atom[] = [{ k: 'shape', values: kv.values }];
    const attrs = { dtype: kv.dtype, shape: [...kv.shape] };
    const sinfo = getOp('shape_to_tensor').infer([{ k: 'shape', values: kv.values }], attrs);
    const v = varNames.fresh(sanitizeName(name));
    bindings.push({ var: v, value: { k: 'op', op: 'shape_to_tensor', args, attrs }, sinfo, origin });
    sinfos.set(v, sinfo);
    const a: Atom = { k: 'var', name: v };
    atoms.set(name, a);
    return a;
  };

  // Symbolic dim names come from the inputs' dim_params; reserve them first so fresh ones never clash.
  for (const vi of g.inputs) if (vi.type?.k === 'tensor') for (const d of vi.type.dims ?? []) if ('param' in d) symNames.reserve(sanitizeDimName(d.param));

  const params: Param[] = [];
  for (const vi of g.inputs) {
    if (g.initializers.has(vi.name) || bound.has(vi.name)) continue;
    const sinfo = inputSinfo(vi, symNames);
    const name = varNames.fresh(sanitizeName(vi.name));
    params.push({ name, sinfo });
    atoms.set(vi.name, { k: 'var', name });
    sinfos.set(name, sinfo);
  }

  const sinfoOf = (a: Atom): StructInfo => {
    if (a.k === 'shape') return { k: 'shape', values: a.values };
    if (a.k === 'const') {
      const t = constants[a.name]!;
      return { k: 'tensor', dtype: t.dtype, shape: t.shape.map((d) => int(d)) };
    }
    const s = sinfos.get(a.name);
    if (!s) throw new RelaxError('RLX_INTERNAL', `no struct info for '${a.name}'`);
    return s;
  };

  for (const node of g.nodes) {
    const origin: Origin = { node: node.name, op: node.opType, opset };
    withLocation({ node: node.name, op: node.opType, opset }, () => {
      if (node.domain !== '' && node.domain !== 'ai.onnx') {
        throw unsupportedError(`the operator domain '${node.domain}'`, node, opset, 'relax only supports ops of the default ONNX domain (ai.onnx).');
      }
      const evalInputs = node.inputs.map((nm): EvalInput | undefined => {
        if (nm === '') return undefined;
        const a = atoms.get(nm), kv = knownOf(nm);
        return { ...(kv ? { known: kv } : {}), ...(a ? { sinfo: sinfoOf(a) } : {}) };
      });
      const evaluated = evaluateNode(node, opset, evalInputs);
      if (evaluated && evaluated.length >= node.outputs.filter((o) => o !== '').length) {
        node.outputs.forEach((o, i) => { if (o !== '') recordKnown(o, evaluated[i]!, origin); });
        return;
      }
      const conv = CONVERTERS[node.opType];
      if (!conv) throw unsupportedError('this operator', node, opset);
      for (const [name] of node.attrs) {
        if (!conv.attrs.includes(name)) {
          throw unsupportedError(`the attribute '${name}'`, node, opset, `Supported attributes of ${node.opType}: ${conv.attrs.join(', ') || '(none)'}.`);
        }
      }
      const outBase = (i: number): string => sanitizeName(node.outputs[i] || `${node.name || node.opType}_out${i}`);
      const nameFor = (n: number | string): string => varNames.fresh(typeof n === 'number' ? outBase(n) : `${outBase(0)}_${n}`);
      const emit = (value: Value, sinfo: StructInfo, n: number | string): Atom => {
        const v = nameFor(n);
        bindings.push({ var: v, value, sinfo, origin });
        sinfos.set(v, sinfo);
        return { k: 'var', name: v };
      };
      const input = (i: number): Atom | undefined => {
        const nm = node.inputs[i];
        if (nm === undefined || nm === '') return undefined;
        const a = atoms.get(nm) ?? materialize(nm, origin);
        if (!a) throw new RelaxError('RLX_ONNX_INVALID', `input '${nm}' of node '${node.name}' is not defined before it is used`, undefined,
          'ONNX graphs must be topologically sorted; check the model with onnx.checker.');
        return a;
      };
      const attrNum = (name: string, dflt: number, kind: 'int' | 'float'): number => {
        const a: OnnxAttr | undefined = node.attrs.get(name);
        if (!a) return dflt;
        if (a.type === 'int' || a.type === 'float') return a.value;
        throw unsupportedError(`attribute '${name}' of type ${a.type} (expected ${kind})`, node, opset);
      };
      const ctx: ConvertCtx = {
        node, opset,
        input,
        required(i, what) {
          const a = input(i);
          if (!a) throw unsupportedError(`a missing required input ${i} ('${what}')`, node, opset, 'The model is malformed; check it with onnx.checker.');
          return a;
        },
        sinfo: sinfoOf,
        constant(i) {
          const a = input(i);
          return a?.k === 'const' ? constants[a.name] : undefined;
        },
        knownValue: (i) => knownOf(node.inputs[i]),
        attr: (name) => node.attrs.get(name),
        attrInt: (name, dflt) => attrNum(name, dflt, 'int'),
        attrFloat: (name, dflt) => attrNum(name, dflt, 'float'),
        attrInts(name) {
          const a = node.attrs.get(name);
          if (!a) return undefined;
          if (a.type !== 'ints') throw unsupportedError(`attribute '${name}' of type ${a.type} (expected ints)`, node, opset);
          return a.value;
        },
        op(op: string, args: readonly Atom[], attrs: Attrs, n: number | string): Atom {
          const sinfo = getOp(op).infer(args.map(sinfoOf), attrs);
          return emit({ k: 'op', op, args, attrs }, sinfo, n);
        },
        emit,
        constantAtom: addConstant,
        freshSymVar(base) {
          for (;;) {
            const i = symCounters.get(base) ?? 0;
            symCounters.set(base, i + 1);
            const n = `${base}${i}`;
            if (!symNames.has(n)) { symNames.reserve(n); return n; }
          }
        },
        setOutput(i, a) {
          const nm = node.outputs[i];
          if (nm !== undefined && nm !== '') atoms.set(nm, a);
        },
        unsupported(what, hint) { throw unsupportedError(what, node, opset, hint); },
      };
      conv.convert(ctx);
      node.outputs.forEach((o) => {
        if (o !== '' && !atoms.has(o)) throw unsupportedError(`output '${o}'`, node, opset);
      });
    });
  }

  const ret: Atom[] = [];
  const retNames: string[] = [];
  for (const o of g.outputs) {
    const a = atoms.get(o.name) ?? materialize(o.name, knownOrigin.get(o.name) ?? { node: '', op: '', opset });
    if (!a) throw new RelaxError('RLX_ONNX_INVALID', `graph output '${o.name}' is not produced by any node`);
    ret.push(a);
    retNames.push(o.name);
  }

  // Constants only consumed at import time (Clip bounds, Reshape shapes, TopK k) are dropped.
  const used = new Set<string>();
  const mark = (a: Atom) => { if (a.k === 'const') used.add(a.name); };
  for (const b of bindings) atomsOf(b.value).forEach(mark);
  ret.forEach(mark);
  for (const c of Object.keys(constants)) if (!used.has(c)) delete constants[c];

  return {
    functions: { main: { k: 'graph_func', name: 'main', params, blocks: [{ dataflow: true, bindings }], ret, retNames } },
    tir: {},
    constants,
    attrs: {
      source: path.basename(opts.modelPath),
      opset,
      irVersion: model.irVersion,
      producer: model.producer,
      graph: g.name,
    },
  };
}

function inputSinfo(vi: OnnxValueInfo, symNames: Namer): StructInfo {
  const t = vi.type;
  if (!t || t.k !== 'tensor') {
    throw new RelaxError('RLX_ONNX_UNSUPPORTED', `graph input '${vi.name}' is a ${t ? t.what : 'value without a type'}; relax supports tensor inputs only`,
      undefined, t?.what === 'sequence'
        ? 'Sequence values (onnx.SequenceProto) are not supported as graph inputs or outputs: pass the tensors as separate inputs.'
        : 'Export the model with tensor inputs.');
  }
  const dtype = ONNX_DTYPE[t.elemType];
  if (!dtype) {
    throw new RelaxError('RLX_ONNX_UNSUPPORTED', `graph input '${vi.name}' has element type ${t.elemType}, which relax does not support`,
      undefined, 'Supported element types: float16, bfloat16, float32, float64, int8/16/32/64, uint8/16/32/64, bool.');
  }
  if (!t.dims) {
    throw new RelaxError('RLX_ONNX_UNSUPPORTED', `graph input '${vi.name}' has no shape (unknown rank)`, undefined,
      'Export the model with input shapes (fixed or named dynamic dims).');
  }
  const shape: Expr[] = t.dims.map((d, i) => {
    if ('value' in d) return int(d.value);
    if ('param' in d) return ivar(sanitizeDimName(d.param));
    return ivar(symNames.fresh(`${sanitizeName(vi.name)}_dim${i}`));
  });
  return { k: 'tensor', dtype, shape };
}


/** Validates `bind` against the graph inputs: a known input, the declared element type and fixed dims. */
function checkBind(inputs: readonly OnnxValueInfo[], initializers: ReadonlyMap<string, HostTensor>, opts: ImportOptions): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  const names = inputs.filter((v) => !initializers.has(v.name)).map((v) => v.name);
  for (const [name, t] of Object.entries(opts.bind ?? {})) {
    const where = { keyPath: opts.bindKeyPaths?.[name] ?? `bind.${name}` };
    const vi = inputs.find((v) => v.name === name);
    if (!vi || initializers.has(name)) {
      throw new RelaxError('RLX_BIND_UNKNOWN_INPUT', `'${name}' is not a graph input of the model${initializers.has(name) ? ' (it is an initializer, already constant)' : ''}`, where,
        `Graph inputs: ${names.map((n) => `'${n}'`).join(', ') || '(none)'}.`);
    }
    const ty = vi.type;
    if (ty?.k === 'other') {
      throw new RelaxError('RLX_BIND_MISMATCH', `graph input '${name}' is a ${ty.what}; only tensor inputs can be bound`, where);
    }
    if (ty?.k === 'tensor') {
      const declared = ONNX_DTYPE[ty.elemType];
      if (declared !== undefined && declared !== t.dtype) {
        throw new RelaxError('RLX_BIND_MISMATCH', `graph input '${name}' is ${declared}, but the bound tensor is ${t.dtype}`, where,
          'Bind a TensorProto of the input\'s element type.');
      }
      const dims = ty.dims;
      const fixedMismatch = dims !== undefined && (dims.length !== t.shape.length || dims.some((d, i) => 'value' in d && d.value !== t.shape[i]));
      if (fixedMismatch) {
        const shown = dims!.map((d) => ('value' in d ? String(d.value) : 'param' in d ? d.param : '?')).join(', ');
        throw new RelaxError('RLX_BIND_MISMATCH', `graph input '${name}' has shape [${shown}], but the bound tensor has shape [${t.shape.join(', ')}]`, where,
          'Bind a TensorProto whose shape fits the input.');
      }
    }
    out.set(name, t);
  }
  return out;
}
