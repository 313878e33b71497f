/**
 * Shared printer for C-family kernel sources (the cpu backend's C and the cuda backend's CUDA C++).
 *
 * Prints TIR expressions and statements; buffer accesses are flattened row-major with int64 index math.
 * Everything that needs more than one C operator (floordiv/floormod on negatives, NaN-propagating min/max,
 * sigmoid, ...) goes through small `rlx_*` inline helpers (c-helpers.ts) that are emitted once, only when used,
 * in a fixed order, so the output is deterministic. float16/bfloat16 buffers hold 16-bit patterns: loads widen
 * to float, expressions compute in float, stores (and casts to the 16-bit types) round to nearest even.
 */
import { RelaxError } from '../diagnostics/index.js';
import { DTYPE_BYTES, isFloat, type DType } from '../formats/dtype.js';
import { add, cast, exprEqual, int, mul, product } from '../compiler/tir/expr.js';
import type { Buffer, Expr, MathFn, PrimFunc, Stmt, ThreadTag } from '../compiler/tir/types.js';
import { SUFFIX, helperPrelude, useConversion, type Conversion, type Dialect, type HelperOp } from './c-helpers.js';

export type { Dialect };
export { helperPrelude };

/** Compute types: float16/bfloat16 values are computed in float and stored as 16-bit patterns (see cStorageType). */
const C_TYPES: Record<DType, string> = {
  float16: 'float', bfloat16: 'float', float32: 'float', float64: 'double',
  int8: 'int8_t', int16: 'int16_t', int32: 'int32_t', int64: 'int64_t',
  uint8: 'uint8_t', uint16: 'uint16_t', uint32: 'uint32_t', uint64: 'uint64_t',
  bool: 'bool',
};

/** True for the 16-bit float types that are stored as bit patterns and computed in float. */
export const isHalf = (d: DType): d is 'float16' | 'bfloat16' => d === 'float16' || d === 'bfloat16';

/** C type of a scalar value of `dtype` (float16/bfloat16 compute in float). */
export function cType(dtype: DType, kernel: string): string {
  const t = C_TYPES[dtype] as string | undefined;
  if (!t) throw new RelaxError('RLX_CODEGEN_UNSUPPORTED_DTYPE', `dtype ${dtype} is not supported by the C/CUDA backends`, { kernel });
  return t;
}

/** C type used for buffer storage: like cType, but bool is one byte and float16/bfloat16 are 16-bit patterns. */
export function cStorageType(dtype: DType, kernel: string): string {
  return dtype === 'bool' ? 'uint8_t' : isHalf(dtype) ? 'uint16_t' : cType(dtype, kernel);
}

/** An integer literal of the given dtype, exact for every value a JS number holds. */
export function intLiteral(value: number, dtype: DType): string {
  if (!Number.isInteger(value)) throw new Error(`integer literal ${value} is not an integer`);
  if (dtype === 'bool') return value ? 'true' : 'false';
  const v = BigInt(value);
  switch (dtype) {
    case 'int64':
      if (v === -(2n ** 63n)) return '(-9223372036854775807LL - 1)';
      return v < 0n ? `(${v}LL)` : `${v}LL`;
    case 'int32':
      if (v === -(2n ** 31n)) return '(-2147483647 - 1)';
      return v < 0n ? `(${v})` : `${v}`;
    case 'uint32': return `${v}u`;
    case 'uint64': return `${v}ull`;
    case 'float32': case 'float64': case 'float16': case 'bfloat16': return floatLiteral(value, dtype, 'c');
    default: return `((${C_TYPES[dtype]})${v < 0n ? `(${v})` : v})`;
  }
}

/** Shortest decimal that round-trips through float32. */
function float32Digits(v: number): string {
  for (let p = 1; p <= 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return s;
  }
  return v.toPrecision(9);
}

/** A float literal that reads back exactly; inf/nan through per-dialect bit patterns. */
export function floatLiteral(value: number, dtype: DType, dialect: Dialect): string {
  const f32 = dtype !== 'float64';
  if (Number.isNaN(value)) {
    if (dialect === 'cuda') return f32 ? '__int_as_float(0x7fc00000)' : '__longlong_as_double(0x7ff8000000000000LL)';
    return f32 ? '__builtin_nanf("")' : '__builtin_nan("")';
  }
  if (!Number.isFinite(value)) {
    const pos = dialect === 'cuda'
      ? (f32 ? '__int_as_float(0x7f800000)' : '__longlong_as_double(0x7ff0000000000000LL)')
      : (f32 ? '__builtin_inff()' : '__builtin_inf()');
    return value > 0 ? pos : `(-${pos})`;
  }
  if (Object.is(value, -0)) return f32 ? '(-0.0f)' : '(-0.0)';
  const v = f32 ? Math.fround(value) : value;
  let s = f32 ? float32Digits(v) : String(v);
  if (!/[.e]/.test(s)) s += '.0';
  if (s.includes('e') && !s.includes('.')) s = s.replace('e', '.0e');
  if (f32) s += 'f';
  return v < 0 ? `(${s})` : s;
}

const C_RESERVED = new Set((
  'auto break case char const continue default do double else enum extern float for goto if inline int long ' +
  'register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while ' +
  'bool true false class namespace template typename this new delete operator private public protected virtual ' +
  'friend using try catch throw explicit mutable export asm nullptr constexpr decltype noexcept static_assert ' +
  'thread_local alignas alignof char16_t char32_t wchar_t and or not xor bitand bitor compl ' +
  'blockIdx threadIdx blockDim gridDim warpSize bufs vars main ' +
  'exp expf log logf sqrt sqrtf tanh tanhf erf erff floor floorf ceil ceilf pow powf fabs fabsf sin sinf cos cosf ' +
  'tan tanf asin asinf acos acosf atan atanf sinh sinhf cosh coshf asinh asinhf acosh acoshf atanh atanhf ' +
  'rint rintf rsqrt rsqrtf min max abs isnan isinf ' +
  'fmod fmodf trunc truncf round roundf fmin fmax fminf fmaxf log2 log10 log1p exp2 expm1 cbrt hypot remainder ' +
  'nearbyint erfc tgamma lgamma signbit frexp ldexp modf copysign nan fdim fma isfinite powf ' +
  'div ldiv lldiv labs llabs free malloc calloc realloc exit abort atoi atof rand srand qsort bsearch getenv system'
).split(' '));

/** Maps TIR names to stable, valid and distinct C identifiers. */
export class Namer {
  private readonly byTir = new Map<string, string>();
  private readonly taken = new Set<string>();
  constructor(reserved: Iterable<string> = []) {
    for (const r of reserved) this.taken.add(r);
  }
  get(tir: string): string {
    const known = this.byTir.get(tir);
    if (known !== undefined) return known;
    let base = tir.replace(/[^A-Za-z0-9_]/g, '_');
    if (base === '' || /^[0-9]/.test(base)) base = `v_${base}`;
    if (C_RESERVED.has(base) || base.startsWith('rlx_') || base.startsWith('__') || /^_[A-Z]/.test(base)) base = `v_${base}`;
    let name = base;
    for (let i = 1; this.taken.has(name); i++) name = `${base}_${i}`;
    this.taken.add(name);
    this.byTir.set(tir, name);
    return name;
  }
}

const KERNEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Kernel names are exported symbols (the ABI uses them verbatim), so they must be plain C identifiers. */
export function checkKernelName(name: string): void {
  if (!KERNEL_NAME.test(name) || C_RESERVED.has(name) || name.startsWith('rlx_') || name.startsWith('__')) {
    throw new RelaxError('RLX_CODEGEN_INVALID_NAME', `kernel name '${name}' is not usable as a C symbol`, { kernel: name },
      'Kernel names must match [A-Za-z_][A-Za-z0-9_]* and must not be a C keyword or math function.');
  }
}

/** Math functions with a C library counterpart named the same (float32 adds the `f` suffix). */
const LIBM: Partial<Record<MathFn, string>> = {
  exp: 'exp', log: 'log', sqrt: 'sqrt', tanh: 'tanh', erf: 'erf', floor: 'floor', ceil: 'ceil', round: 'rint',
  sin: 'sin', cos: 'cos', tan: 'tan', asin: 'asin', acos: 'acos', atan: 'atan', sinh: 'sinh', cosh: 'cosh',
  asinh: 'asinh', acosh: 'acosh', atanh: 'atanh',
};

export interface LaunchInfo {
  readonly grid: readonly Expr[];
  readonly block: readonly number[];
}

const THREAD_AXIS: Record<ThreadTag, { kind: 'grid' | 'block'; axis: number }> = {
  'blockIdx.x': { kind: 'grid', axis: 0 }, 'blockIdx.y': { kind: 'grid', axis: 1 }, 'blockIdx.z': { kind: 'grid', axis: 2 },
  'threadIdx.x': { kind: 'block', axis: 0 }, 'threadIdx.y': { kind: 'block', axis: 1 }, 'threadIdx.z': { kind: 'block', axis: 2 },
};

/** Largest local/shared array the cpu backend puts on the stack; bigger or symbolic ones use malloc. */
const CPU_STACK_LIMIT_BYTES = 64 * 1024;

/**
 * Prints the body of one PrimFunc. Create one per kernel; share a `helpers` set across kernels of a file so
 * each helper is emitted once (see `helperPrelude`).
 */
export class CPrinter {
  readonly names: Namer;
  private readonly buffers = new Map<string, Buffer>();
  private readonly kernel: string;

  constructor(
    private readonly fn: PrimFunc,
    private readonly dialect: Dialect,
    private readonly helpers: Set<string>,
  ) {
    this.kernel = fn.name;
    this.names = new Namer();
    for (const p of fn.params) this.buffers.set(p.name, p);
  }

  private fail(code: string, message: string, hint?: string): never {
    throw new RelaxError(code, message, { kernel: this.kernel }, hint);
  }

  type(dtype: DType): string { return cType(dtype, this.kernel); }
  storageType(dtype: DType): string { return cStorageType(dtype, this.kernel); }
  name(tir: string): string { return this.names.get(tir); }

  private helper(op: HelperOp, dtype: DType): string {
    const dt = isHalf(dtype) ? 'float32' : dtype === 'bool' ? 'int32' : dtype;
    this.helpers.add(`${op}:${dt}`);
    return `rlx_${op}_${SUFFIX[dt]}`;
  }

  private conv(c: Conversion): string { return useConversion(this.helpers, c); }

  /** Widens a stored 16-bit pattern to float (identity for other dtypes). */
  private widen(code: string, dtype: DType): string {
    if (dtype === 'float16') return `${this.conv('f16_to_f32')}(${code})`;
    if (dtype === 'bfloat16') return `${this.conv('bf16_to_f32')}(${code})`;
    return code;
  }

  /** Rounds a value of dtype `from` to the storage of `to` (the 16-bit pattern for float16/bfloat16). */
  private narrow(code: string, from: DType, to: DType): string {
    if (to === 'float16') {
      if (from === 'float16') return `${this.conv('f32_to_f16')}(${code})`;
      if (from === 'float64') return `${this.conv('f64_to_f16')}(${code})`;
      return `${this.conv('f32_to_f16')}(${isFloat(from) ? code : `(float)${code}`})`;
    }
    if (to === 'bfloat16') return `${this.conv('f32_to_bf16')}(${from === 'float32' || isHalf(from) ? code : `(float)${code}`})`;
    return code;
  }

  /** A value stored into a buffer of `dtype`; 16-bit floats skip a widen-then-round pair where they can. */
  private storeValue(v: Expr, dtype: DType): string {
    if (isHalf(dtype) && v.dtype === dtype) {
      if (v.k === 'load' && this.buffers.get(v.buffer)?.dtype === dtype) return `${this.name(v.buffer)}[${this.expr(this.flatIndex(v.buffer, v.indices))}]`;
      if (v.k === 'cast') return this.narrow(this.expr(v.a), v.a.dtype, dtype);
    }
    return this.narrow(this.expr(v), v.dtype, dtype);
  }

  /** Row-major flat index (int64) of `indices` into `buffer`. */
  private flatIndex(bufName: string, indices: readonly Expr[]): Expr {
    const buf = this.buffers.get(bufName);
    if (!buf) this.fail('RLX_CODEGEN_UNKNOWN_BUFFER', `buffer '${bufName}' is accessed but neither a parameter nor allocated`);
    if (buf.shape.length !== indices.length) {
      this.fail('RLX_CODEGEN_BAD_ACCESS', `buffer '${bufName}' has ${buf.shape.length} dims but is accessed with ${indices.length} indices`);
    }
    let flat: Expr = int(0);
    indices.forEach((ix, d) => {
      flat = add(mul(flat, buf.shape[d]!), cast(ix, 'int64'));
    });
    return flat;
  }

  expr(e: Expr): string {
    switch (e.k) {
      case 'int': return isFloat(e.dtype) ? floatLiteral(e.value, e.dtype, this.dialect) : intLiteral(e.value, e.dtype);
      case 'float': return isFloat(e.dtype) ? floatLiteral(e.value, e.dtype, this.dialect) : intLiteral(Math.trunc(e.value), e.dtype);
      case 'var': return this.name(e.name);
      case 'load': {
        const code = `${this.name(e.buffer)}[${this.expr(this.flatIndex(e.buffer, e.indices))}]`;
        return this.widen(code, this.buffers.get(e.buffer)!.dtype);
      }
      case 'cast': {
        const from = e.a.dtype;
        const x = this.expr(e.a);
        if (e.dtype === 'bool') return `(${x} != 0)`;
        // Casts to a 16-bit float round to it (and widen back: expressions compute in float).
        if (isHalf(e.dtype)) return this.widen(this.narrow(x, from, e.dtype), e.dtype);
        return `((${this.type(e.dtype)})${x})`;
      }
      case 'select': return `(${this.expr(e.cond)} ? ${this.expr(e.t)} : ${this.expr(e.f)})`;
      case 'cmp': {
        const op = { eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=' }[e.op];
        return `(${this.expr(e.a)} ${op} ${this.expr(e.b)})`;
      }
      case 'bin': return this.binary(e);
      case 'call': return this.call(e);
    }
  }

  private binary(e: Extract<Expr, { k: 'bin' }>): string {
    const a = this.expr(e.a), b = this.expr(e.b);
    const dt = e.dtype;
    // 8- and 16-bit integers promote to int in C: wrap arithmetic results back to the type.
    const wrap = (code: string): string => (NARROW_INTS.has(dt) ? `((${this.type(dt)})${code})` : code);
    switch (e.op) {
      case 'add': return wrap(`(${a} + ${b})`);
      case 'sub': return wrap(`(${a} - ${b})`);
      case 'mul': return wrap(`(${a} * ${b})`);
      case 'div': return isFloat(dt) ? `(${a} / ${b})` : `${this.helper('truncdiv', dt)}(${a}, ${b})`;
      case 'floordiv': case 'floormod': case 'truncmod': case 'min': case 'max': case 'pow':
        return `${this.helper(e.op, dt)}(${a}, ${b})`;
      case 'and': return dt === 'bool' ? `(${a} && ${b})` : `(${a} & ${b})`;
      case 'or': return dt === 'bool' ? `(${a} || ${b})` : `(${a} | ${b})`;
      case 'xor': return dt === 'bool' ? `(${a} != ${b})` : `(${a} ^ ${b})`;
      case 'shl': return wrap(`(${a} << ${b})`);
      case 'shr': return `(${a} >> ${b})`;
    }
  }

  private call(e: Extract<Expr, { k: 'call' }>): string {
    const arg0 = e.args[0];
    if (!arg0) this.fail('RLX_CODEGEN_BAD_CALL', `math function ${e.fn} called without arguments`);
    const x = this.expr(arg0);
    const at = arg0.dtype;
    const fl = isFloat(at);
    const f = at === 'float64' ? '' : 'f';
    const libm = LIBM[e.fn];
    if (libm) {
      if (fl) return `${libm}${f}(${x})`;
      // Integer argument: compute in double, convert back to the call's dtype.
      return `((${this.type(e.dtype)})${libm}((double)${x}))`;
    }
    switch (e.fn) {
      case 'rsqrt':
        if (this.dialect === 'cuda' && fl) return `rsqrt${f}(${x})`;
        return fl ? `(${floatLiteral(1, at, this.dialect)} / sqrt${f}(${x}))` : `((${this.type(e.dtype)})(1.0 / sqrt((double)${x})))`;
      case 'sigmoid':
        if (!fl) return `((${this.type(e.dtype)})${this.helper('sigmoid', 'float64')}((double)${x}))`;
        return `${this.helper('sigmoid', at)}(${x})`;
      case 'abs': return `${this.helper('abs', at === 'bool' ? 'uint8' : at)}(${x})`;
      case 'sign': return `${this.helper('sign', at)}(${x})`;
      case 'neg': return NARROW_INTS.has(at) ? `((${this.type(at)})(-${x}))` : `(-${x})`;
      case 'not': return at === 'bool' ? `(!${x})` : NARROW_INTS.has(at) ? `((${this.type(at)})(~${x}))` : `(~${x})`;
      case 'isnan': return fl ? `${this.helper('isnan', at)}(${x})` : 'false';
      case 'isinf': return fl ? `${this.helper('isinf', at)}(${x})` : 'false';
      case 'reciprocal':
        return fl ? `(${floatLiteral(1, at, this.dialect)} / ${x})` : `${this.helper('truncdiv', at)}(1, ${x})`;
      default:
        return this.fail('RLX_CODEGEN_BAD_CALL', `math function ${e.fn} is not supported by the C/CUDA backends`);
    }
  }

  /** Prints a statement as lines (each indented by `ind`). */
  stmt(s: Stmt, ind: string, out: string[], launch?: LaunchInfo): void {
    switch (s.k) {
      case 'seq':
        for (const b of s.body) this.stmt(b, ind, out, launch);
        return;
      case 'store': {
        const buf = this.name(s.buffer);
        const ix = this.expr(this.flatIndex(s.buffer, s.indices));
        out.push(`${ind}${buf}[${ix}] = ${this.storeValue(s.value, this.buffers.get(s.buffer)!.dtype)};`);
        return;
      }
      case 'if':
        out.push(`${ind}if (${this.expr(s.cond)}) {`);
        this.stmt(s.then, ind + '  ', out, launch);
        if (s.else) {
          out.push(`${ind}} else {`);
          this.stmt(s.else, ind + '  ', out, launch);
        }
        out.push(`${ind}}`);
        return;
      case 'let':
        out.push(`${ind}{`);
        out.push(`${ind}  const ${this.type(s.value.dtype)} ${this.name(s.var)} = ${this.expr(s.value)};`);
        this.stmt(s.body, ind + '  ', out, launch);
        out.push(`${ind}}`);
        return;
      case 'barrier':
        out.push(this.dialect === 'cuda' ? `${ind}__syncthreads();` : `${ind}/* barrier: no-op without threads */`);
        return;
      case 'for': return this.loop(s, ind, out, launch);
      case 'block': return this.block(s, ind, out, launch);
      case 'alloc': return this.alloc(s, ind, out, launch);
    }
  }

  private loop(s: Extract<Stmt, { k: 'for' }>, ind: string, out: string[], launch?: LaunchInfo): void {
    const v = this.name(s.var);
    if (s.kind === 'thread') {
      if (this.dialect !== 'cuda' || !s.thread) {
        this.fail('RLX_CODEGEN_UNSUPPORTED', s.thread
          ? `loop '${s.var}' is bound to ${s.thread}, which the ${this.dialect === 'c' ? 'cpu' : 'cuda'} backend cannot run`
          : `loop '${s.var}' is thread-bound but names no thread axis`);
      }
      const ax = THREAD_AXIS[s.thread];
      out.push(`${ind}{`);
      out.push(`${ind}  const int64_t ${v} = (int64_t)${s.thread};`);
      // The schedule sizes the launch to the loop; only guard when this loop covers less than the launch does.
      let covered = false;
      if (launch) {
        if (ax.kind === 'block') {
          const dim = launch.block[ax.axis] ?? 1;
          covered = s.extent.k === 'int' && s.extent.value === dim;
        } else {
          const g = launch.grid[ax.axis];
          covered = g !== undefined ? exprEqual(g, s.extent) : s.extent.k === 'int' && s.extent.value === 1;
        }
      }
      if (covered) {
        this.stmt(s.body, ind + '  ', out, launch);
      } else {
        out.push(`${ind}  if (${v} < ${this.expr(s.extent)}) {`);
        this.stmt(s.body, ind + '    ', out, launch);
        out.push(`${ind}  }`);
      }
      out.push(`${ind}}`);
      return;
    }
    // `parallel` runs serially for now: the cpu runtime has no thread pool yet.
    if (s.kind === 'unrolled' && this.dialect === 'cuda') out.push(`${ind}#pragma unroll`);
    out.push(`${ind}for (int64_t ${v} = 0; ${v} < ${this.expr(s.extent)}; ++${v}) {`);
    this.stmt(s.body, ind + '  ', out, launch);
    out.push(`${ind}}`);
  }

  private block(s: Extract<Stmt, { k: 'block' }>, ind: string, out: string[], launch?: LaunchInfo): void {
    if (s.bindings.length !== s.iters.length) {
      this.fail('RLX_CODEGEN_BAD_BLOCK', `block '${s.name}' has ${s.iters.length} iteration variables but ${s.bindings.length} bindings`);
    }
    out.push(`${ind}{ /* block ${s.name.replace(/\*\//g, '* /')} */`);
    const inner = ind + '  ';
    s.iters.forEach((it, i) => {
      out.push(`${inner}const int64_t ${this.name(it.name)} = ${this.expr(cast(s.bindings[i]!, 'int64'))};`);
    });
    let bodyInd = inner;
    const guarded = s.predicate !== undefined && !(s.predicate.k === 'int' && s.predicate.value === 1);
    if (guarded) {
      out.push(`${inner}if (${this.expr(s.predicate!)}) {`);
      bodyInd = inner + '  ';
    }
    if (s.init) {
      const reduce = s.iters.filter((it) => it.type === 'reduce');
      if (reduce.length === 0) {
        this.stmt(s.init, bodyInd, out, launch);
      } else {
        out.push(`${bodyInd}if (${reduce.map((it) => `${this.name(it.name)} == 0`).join(' && ')}) {`);
        this.stmt(s.init, bodyInd + '  ', out, launch);
        out.push(`${bodyInd}}`);
      }
    }
    this.stmt(s.body, bodyInd, out, launch);
    if (guarded) out.push(`${inner}}`);
    out.push(`${ind}}`);
  }

  private alloc(s: Extract<Stmt, { k: 'alloc' }>, ind: string, out: string[], launch?: LaunchInfo): void {
    const b = s.buffer;
    const t = this.storageType(b.dtype);
    const n = this.name(b.name);
    const size = product(b.shape);
    const outer = this.buffers.get(b.name);
    this.buffers.set(b.name, b);
    out.push(`${ind}{`);
    const inner = ind + '  ';
    let heap = false;
    if (this.dialect === 'cuda') {
      if (b.scope === 'global') this.fail('RLX_CODEGEN_UNSUPPORTED', `buffer '${b.name}' is allocated in global scope inside a kernel`);
      if (size.k !== 'int') {
        this.fail('RLX_CODEGEN_UNSUPPORTED', `${b.scope} buffer '${b.name}' has a symbolic size; GPU kernels need static ${b.scope} sizes`);
      }
      out.push(`${inner}${b.scope === 'shared' ? '__shared__ ' : ''}${t} ${n}[${Math.max(1, size.value)}];`);
    } else if (size.k === 'int' && size.value * bytesOf(b.dtype) <= CPU_STACK_LIMIT_BYTES) {
      out.push(`${inner}${t} ${n}[${Math.max(1, size.value)}];`);
    } else {
      heap = true;
      out.push(`${inner}${t}* ${n} = (${t}*)malloc(sizeof(${t}) * (size_t)${this.expr(size)});`);
    }
    this.stmt(s.body, inner, out, launch);
    if (heap) out.push(`${inner}free(${n});`);
    out.push(`${ind}}`);
    if (outer) this.buffers.set(b.name, outer); else this.buffers.delete(b.name);
  }
}

const bytesOf = (d: DType): number => DTYPE_BYTES[d];
const NARROW_INTS: ReadonlySet<DType> = new Set(['int8', 'int16', 'uint8', 'uint16']);

/** Every kernel name must be a usable C symbol and unique within the file. */
export function checkKernelNames(funcs: readonly { readonly name: string }[]): void {
  const seen = new Set<string>();
  for (const f of funcs) {
    checkKernelName(f.name);
    if (seen.has(f.name)) {
      throw new RelaxError('RLX_CODEGEN_DUPLICATE_KERNEL', `two kernels are named '${f.name}'`, { kernel: f.name });
    }
    seen.add(f.name);
  }
}

export interface KernelSpan {
  readonly kernel: string;
  /** 1-based, inclusive line numbers of the kernel's function in the source. */
  readonly firstLine: number;
  readonly lastLine: number;
}

export interface CSource {
  readonly source: string;
  readonly spans: readonly KernelSpan[];
}

/** Joins a translation unit: the head, then each function body after a blank line, recording where each lies. */
export function joinUnit(head: readonly string[], bodies: readonly (readonly string[])[], funcs: readonly { readonly name: string }[]): CSource {
  const lines = [...head];
  const spans: KernelSpan[] = [];
  bodies.forEach((body, i) => {
    lines.push('');
    spans.push({ kernel: funcs[i]!.name, firstLine: lines.length + 1, lastLine: lines.length + body.length });
    lines.push(...body);
  });
  return { source: lines.join('\n') + '\n', spans };
}

/** A joined unit taken apart again: its head lines and each kernel's body lines (joinUnit's layout). */
function unitParts(src: CSource): { head: string[]; bodies: string[][]; funcs: { name: string }[] } {
  const lines = src.source.split('\n');
  // joinUnit: head lines, then for each kernel a blank line and its body (spans are 1-based, inclusive).
  return {
    head: lines.slice(0, src.spans[0]!.firstLine - 2),
    bodies: src.spans.map((s) => lines.slice(s.firstLine - 1, s.lastLine)),
    funcs: src.spans.map((s) => ({ name: s.kernel })),
  };
}

/**
 * Splits a unit into translation units of at most about `maxBytes` (a kernel larger than that gets a unit of its
 * own): each repeats the head (typedefs, helpers) and takes the next kernels in order. The split depends on the
 * source alone, never on how many compile at once, so artifacts stay byte-identical. Spans are per unit.
 */
export function splitUnit(src: CSource, maxBytes: number): CSource[] {
  if (src.source.length <= maxBytes || src.spans.length < 2) return [src];
  const { head, bodies: all, funcs: names } = unitParts(src);
  const headBytes = head.join('\n').length;
  const units: CSource[] = [];
  let bodies: string[][] = [];
  let funcs: { name: string }[] = [];
  let bytes = headBytes;
  all.forEach((body, i) => {
    const size = body.join('\n').length + 2;
    if (bodies.length > 0 && bytes + size > maxBytes) {
      units.push(joinUnit(head, bodies, funcs));
      bodies = [];
      funcs = [];
      bytes = headBytes;
    }
    bodies.push(body);
    funcs.push(names[i]!);
    bytes += size;
  });
  units.push(joinUnit(head, bodies, funcs));
  return units;
}

/**
 * Where to cut `costs` into at most `count` runs of consecutive items so that the costliest run costs as little
 * as possible: the start index of each run after the first. Costs are rounded to integers, so the answer is exact
 * (a binary search over the largest run's cost, each step a greedy fill) and depends on the costs alone.
 */
export function balancedCuts(costs: readonly number[], count: number): number[] {
  const c = costs.map((x) => Math.max(0, Math.round(x)));
  const runs = (limit: number): number[] => {
    const cuts: number[] = [];
    let sum = 0;
    c.forEach((x, i) => {
      if (i > 0 && sum + x > limit) {
        cuts.push(i);
        sum = 0;
      }
      sum += x;
    });
    return cuts;
  };
  let lo = Math.max(0, ...c);
  let hi = c.reduce((a, b) => a + b, 0);
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (runs(mid).length < count) hi = mid;
    else lo = mid + 1;
  }
  return runs(lo);
}

/**
 * Splits a unit into at most `count` translation units of consecutive kernels whose summed `cost` (an estimate
 * of each kernel's compile time from its body lines) is as even as possible. Like splitUnit, every unit repeats
 * the head, kernels keep their order, spans are per unit, and the split depends on the source alone.
 */
export function splitBalanced(src: CSource, count: number, cost: (body: readonly string[]) => number): CSource[] {
  if (count < 2 || src.spans.length < 2) return [src];
  const { head, bodies, funcs } = unitParts(src);
  const bounds = [0, ...balancedCuts(bodies.map(cost), count), bodies.length];
  return bounds.slice(1).map((end, i) => joinUnit(head, bodies.slice(bounds[i], end), funcs.slice(bounds[i], end)));
}
