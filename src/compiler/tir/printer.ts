/** Readable TVMScript-like text for TIR (for dumps, snapshots and diagnostics). */
import type { Buffer, Expr, PrimFunc, Stmt } from './types.js';

const BIN_SYM: Partial<Record<string, string>> = {
  add: '+', sub: '-', mul: '*', div: '/', floordiv: '//', floormod: '%', and: '&&', or: '||', xor: '^', shl: '<<', shr: '>>',
};
const CMP_SYM: Record<string, string> = { eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=' };

function num(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  const s = String(v);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

export function printExpr(e: Expr): string {
  switch (e.k) {
    case 'int':
      if (e.dtype === 'int64') return String(e.value);
      if (e.dtype === 'bool') return e.value ? 'True' : 'False';
      return `T.${e.dtype}(${e.value})`;
    case 'float': return `T.${e.dtype}(${num(e.value)})`;
    case 'var': return e.name;
    case 'bin': {
      const sym = BIN_SYM[e.op];
      if (sym) return `(${printExpr(e.a)} ${sym} ${printExpr(e.b)})`;
      return `T.${e.op}(${printExpr(e.a)}, ${printExpr(e.b)})`;
    }
    case 'cmp': return `(${printExpr(e.a)} ${CMP_SYM[e.op]} ${printExpr(e.b)})`;
    case 'call': return `T.${e.fn}(${e.args.map(printExpr).join(', ')})`;
    case 'select': return `T.Select(${printExpr(e.cond)}, ${printExpr(e.t)}, ${printExpr(e.f)})`;
    case 'cast': return `T.Cast("${e.dtype}", ${printExpr(e.a)})`;
    case 'load': return `${e.buffer}[${e.indices.map(printExpr).join(', ')}]`;
  }
}

function shapeText(shape: readonly Expr[]): string {
  return shape.length === 1 ? `(${printExpr(shape[0]!)},)` : `(${shape.map(printExpr).join(', ')})`;
}

export function printBufferType(b: Buffer): string {
  return `T.Buffer(${shapeText(b.shape)}, "${b.dtype}"${b.scope !== 'global' ? `, scope="${b.scope}"` : ''})`;
}

function printStmt(s: Stmt, ind: string, out: string[]): void {
  switch (s.k) {
    case 'seq': for (const b of s.body) printStmt(b, ind, out); if (s.body.length === 0) out.push(`${ind}T.evaluate(0)`); break;
    case 'for': {
      const kind = s.kind === 'thread' ? `T.thread_binding(${printExpr(s.extent)}, thread="${s.thread}")` : `T.${s.kind}(${printExpr(s.extent)})`;
      out.push(`${ind}for ${s.var} in ${kind}:`);
      printStmt(s.body, ind + '    ', out);
      break;
    }
    case 'block': {
      out.push(`${ind}with T.block("${s.name}"):`);
      const i2 = ind + '    ';
      s.iters.forEach((it, i) => {
        out.push(`${i2}${it.name} = T.axis.${it.type}(${printExpr(it.extent)}, ${printExpr(s.bindings[i]!)})`);
      });
      if (s.predicate) out.push(`${i2}T.where(${printExpr(s.predicate)})`);
      if (s.init) { out.push(`${i2}with T.init():`); printStmt(s.init, i2 + '    ', out); }
      printStmt(s.body, i2, out);
      break;
    }
    case 'store': out.push(`${ind}${s.buffer}[${s.indices.map(printExpr).join(', ')}] = ${printExpr(s.value)}`); break;
    case 'if':
      out.push(`${ind}if ${printExpr(s.cond)}:`);
      printStmt(s.then, ind + '    ', out);
      if (s.else) { out.push(`${ind}else:`); printStmt(s.else, ind + '    ', out); }
      break;
    case 'let':
      out.push(`${ind}${s.var} = ${printExpr(s.value)}`);
      printStmt(s.body, ind, out);
      break;
    case 'alloc':
      out.push(`${ind}${s.buffer.name} = T.alloc_buffer(${shapeText(s.buffer.shape)}, "${s.buffer.dtype}", scope="${s.buffer.scope}")`);
      printStmt(s.body, ind, out);
      break;
    case 'barrier': out.push(`${ind}T.tvm_storage_sync("shared")`); break;
  }
}

export function printStmtText(s: Stmt, indent = ''): string {
  const out: string[] = [];
  printStmt(s, indent, out);
  return out.join('\n');
}

export function printPrimFunc(f: PrimFunc): string {
  const out: string[] = [];
  out.push('@T.prim_func');
  const params = f.params.map((b) => `${b.name}: ${printBufferType(b)}`);
  const vars = f.vars.map((v) => `${v}: T.int64`);
  out.push(`def ${f.name}(${[...params, ...vars].join(', ')}):`);
  const attrs = Object.entries(f.attrs).filter(([, v]) => v !== undefined);
  if (attrs.length) {
    out.push(`    T.func_attr({${attrs.map(([k, v]) => `"${k}": ${typeof v === 'object' ? JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && 'k' in x ? printExpr(x as Expr) : x)) : JSON.stringify(v)}`).join(', ')}})`);
  }
  printStmt(f.body, '    ', out);
  return out.join('\n') + '\n';
}
