/** Readable Relax-like text for a whole module: constants, graph functions, then tensor functions. */
import { printExpr, printPrimFunc } from '../tir/printer.js';
import type { Expr } from '../tir/types.js';
import type { Atom, AttrValue, Binding, GraphFunc, IRModule, StructInfo, Value } from './types.js';

const shapeT = (s: readonly Expr[]): string => `(${s.map(printExpr).join(', ')}${s.length === 1 ? ',' : ''})`;

export function printSinfo(s: StructInfo): string {
  switch (s.k) {
    case 'tensor': return `R.Tensor(${shapeT(s.shape)}, "${s.dtype}")`;
    case 'tuple': return `R.Tuple(${s.fields.map(printSinfo).join(', ')})`;
    case 'shape': return `R.Shape(${shapeT(s.values)})`;
    case 'object': return 'R.Object';
  }
}

export function printAtom(a: Atom): string {
  switch (a.k) {
    case 'var': return a.name;
    case 'const': return `metadata["${a.name}"]`;
    case 'shape': return `R.shape([${a.values.map(printExpr).join(', ')}])`;
  }
}

function attrText(v: AttrValue): string {
  return JSON.stringify(v);
}

function attrsText(attrs: Readonly<Record<string, AttrValue>> | undefined): string {
  if (!attrs) return '';
  const keys = Object.keys(attrs).sort();
  return keys.map((k) => `, ${k}=${attrText(attrs[k]!)}`).join('');
}

export function printValue(v: Value): string {
  const args = (as: readonly Atom[]) => as.map(printAtom).join(', ');
  switch (v.k) {
    case 'op': return `R.${v.op}(${args(v.args)}${attrsText(v.attrs)})`;
    case 'call_tir': return `R.call_tir(${v.fn}, (${args(v.args)}${v.args.length === 1 ? ',' : ''}), out_sinfo=${printSinfo(v.out)})`;
    case 'call_packed': return `R.call_packed("${v.fn}"${v.args.length ? `, ${args(v.args)}` : ''}${attrsText(v.attrs)})`;
    case 'call_pure_packed': return `R.call_pure_packed("${v.fn}"${v.args.length ? `, ${args(v.args)}` : ''}${attrsText(v.attrs)})`;
    case 'call': return `${v.fn}(${args(v.args)})`;
    case 'tuple': return `(${args(v.fields)}${v.fields.length === 1 ? ',' : ''})`;
    case 'tuple_get': return `${printAtom(v.tuple)}[${v.index}]`;
    case 'atom': return printAtom(v.atom);
  }
}

function printBinding(b: Binding): string {
  const origin = b.origin ? `  # ${b.origin.op} '${b.origin.node}'` : '';
  return `${b.var}: ${printSinfo(b.sinfo)} = ${printValue(b.value)}${origin}`;
}

export function printGraphFunc(f: GraphFunc): string {
  const out: string[] = [];
  out.push('@R.function');
  out.push(`def ${f.name}(${f.params.map((p) => `${p.name}: ${printSinfo(p.sinfo)}`).join(', ')}):`);
  for (const blk of f.blocks) {
    if (blk.dataflow) {
      out.push('    with R.dataflow():');
      for (const b of blk.bindings) out.push(`        ${printBinding(b)}`);
    } else {
      for (const b of blk.bindings) out.push(`    ${printBinding(b)}`);
    }
  }
  const names = f.retNames.length === f.ret.length ? `  # ${f.retNames.join(', ')}` : '';
  out.push(`    return (${f.ret.map(printAtom).join(', ')}${f.ret.length === 1 ? ',' : ''})${names}`);
  return out.join('\n') + '\n';
}

export function printModule(m: IRModule): string {
  const out: string[] = [];
  const attrs = Object.keys(m.attrs).sort();
  if (attrs.length) out.push(`# attrs: ${attrs.map((k) => `${k}=${attrText(m.attrs[k]!)}`).join(', ')}`);
  const consts = Object.keys(m.constants).sort();
  if (consts.length) {
    out.push('# constants:');
    for (const c of consts) { const t = m.constants[c]!; out.push(`#   ${c}: ${t.dtype}[${t.shape.join(', ')}]`); }
  }
  out.push('@I.ir_module');
  out.push('class Module:');
  const indent = (s: string) => s.split('\n').map((l) => (l ? `    ${l}` : l)).join('\n');
  for (const name of Object.keys(m.functions).sort()) out.push(indent(printGraphFunc(m.functions[name]!)));
  for (const name of Object.keys(m.tir).sort()) out.push(indent(printPrimFunc(m.tir[name]!)));
  return out.join('\n');
}
