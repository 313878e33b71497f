/**
 * VM codegen: the lowered entry function (only builtin and kernel calls, tuples and aliases left) becomes a
 * register program. Parameters occupy the first registers; every other value gets the next free register.
 */
import { RelaxError } from '../../diagnostics/index.js';
import type { DType } from '../../formats/dtype.js';
import type { Arg, Instr, ShapeExpr, TensorSig, VMFunction, VMProgram } from '../../formats/vm.js';
import type { Atom, GraphFunc, IRModule, StructInfo } from '../ir/types.js';
import { entryFunctions } from '../ir/util.js';
import { toShapeExpr } from './shape-expr.js';

export function sigOf(name: string, s: StructInfo): TensorSig {
  if (s.k !== 'tensor') throw new RelaxError('RLX_IR_MALFORMED', `'${name}' is not a tensor`);
  return { name, dtype: s.dtype as DType, shape: s.shape.map(toShapeExpr) };
}

function codegenFunction(f: GraphFunc, mod: IRModule): VMFunction {
  const reg = new Map<string, Arg>();
  f.params.forEach((p, i) => reg.set(p.name, { r: i }));
  let next = f.params.length;
  const sinfo = new Map<string, StructInfo>(f.params.map((p) => [p.name, p.sinfo]));
  const arg = (a: Atom): Arg => {
    if (a.k === 'const') {
      if (!mod.constants[a.name]) throw new RelaxError('RLX_IR_MALFORMED', `constant '${a.name}' is missing`);
      return { c: a.name };
    }
    if (a.k === 'shape') return { shape: a.values.map(toShapeExpr) };
    const r = reg.get(a.name);
    if (!r) throw new RelaxError('RLX_IR_MALFORMED', `'${a.name}' is used before it is defined`);
    return r;
  };
  const instrs: Instr[] = [];
  for (const blk of f.blocks) for (const b of blk.bindings) {
    sinfo.set(b.var, b.sinfo);
    const v = b.value;
    if (v.k === 'atom') { reg.set(b.var, arg(v.atom)); continue; }
    const dst = next++;
    reg.set(b.var, { r: dst });
    switch (v.k) {
      case 'tuple': instrs.push({ op: 'call', fn: 'vm.tuple', args: v.fields.map(arg), dst }); break;
      case 'tuple_get': instrs.push({ op: 'call', fn: 'vm.tuple_get', args: [arg(v.tuple), { i: v.index }], dst }); break;
      case 'call_packed': case 'call_pure_packed': {
        const args = v.args.map(arg);
        const attrs = v.attrs ?? {};
        switch (v.fn) {
          case 'vm.alloc_storage': instrs.push({ op: 'call', fn: v.fn, args: [{ i: (args[0] as { shape: readonly ShapeExpr[] }).shape[0]! }], dst }); break;
          case 'vm.alloc_tensor': instrs.push({ op: 'call', fn: v.fn, args: [args[0]!, { i: Number(attrs.offset ?? 0) }, args[1]!, { dtype: attrs.dtype as DType }], dst }); break;
          case 'vm.match_shape': instrs.push({ op: 'call', fn: v.fn, args: [args[0]!, args[1]!, { dtype: attrs.dtype as DType }], dst }); break;
          case 'vm.tensor_to_shape': instrs.push({ op: 'call', fn: v.fn, args: [args[0]!, ...(attrs.vars as string[]).map((s) => ({ str: s }))], dst }); break;
          default: instrs.push({ op: 'call', fn: v.fn, args, dst });
        }
        break;
      }
      default:
        throw new RelaxError('RLX_IR_MALFORMED', `binding '${b.var}' (${v.k}) was not lowered before VM codegen`);
    }
  }
  instrs.push({ op: 'ret', args: f.ret.map(arg) });
  const outputs = f.ret.map((a, i) => {
    const name = f.retNames[i] ?? `output_${i}`;
    if (a.k === 'const') return sigOf(name, { k: 'tensor', dtype: mod.constants[a.name]!.dtype, shape: mod.constants[a.name]!.shape.map((d) => ({ k: 'int', value: d, dtype: 'int64' })) });
    if (a.k !== 'var') throw new RelaxError('RLX_IR_MALFORMED', 'a function output is a shape');
    return sigOf(name, sinfo.get(a.name)!);
  });
  return { params: f.params.map((p) => sigOf(p.name, p.sinfo)), outputs, registers: next, instrs };
}

export function codegenVM(mod: IRModule): VMProgram {
  const functions: Record<string, VMFunction> = {};
  for (const f of entryFunctions(mod)) functions[f.name] = codegenFunction(f, mod);
  return { format: 1, functions };
}
