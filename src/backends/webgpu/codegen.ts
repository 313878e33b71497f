/**
 * WGSL codegen from scheduled TIR: one `kernels.wgsl` module with one compute entry point per PrimFunc, following
 * the webgpu kernel ABI (src/backends/types.ts and ./abi.ts). Pure: no GPU needed; validation lives in toolchain.ts.
 */
import { RelaxError } from '../../diagnostics/index.js';
import type { DType } from '../../formats/dtype.js';
import { DTYPE_BYTES } from '../../formats/dtype.js';
import type { KernelInfo, Target } from '../../formats/manifest.js';
import { kernelInfo } from '../kernel-info.js';
import { add, exprEqual, int, mul } from '../../compiler/tir/expr.js';
import type { BinOp, Buffer, Expr, MathFn, PrimFunc, Stmt, ThreadTag } from '../../compiler/tir/types.js';
import { hasUniform, kernelHeader, padTo3, uniformVec4s } from './abi.js';
import { is64BitInt, isWide, tyBytes, webgpuDType, wgslType, type DTypeLowering, type Ty } from './dtypes.js';
import { conv, fitsI32, floatLit, intLit, round16, wideBin, wideCmp, type Code } from './values.js';
import { ALL_WGSL_HELPERS, helpersUsedBy } from './helper-set.js';

export interface WgslModule {
  readonly code: string;
  readonly kernels: readonly KernelInfo[];
  /** 1-based line ranges [first, last] of each kernel's declarations and entry point, for error messages. */
  readonly lines: readonly { readonly kernel: string; readonly first: number; readonly last: number }[];
}

/** Default WebGPU limits where the target does not say. */
const DEFAULT_STORAGE_BUFFERS = 8;
const DEFAULT_BINDING_BYTES = 128 * 1024 * 1024;
const MAX_WORKGROUP_SIZE_Z = 64;

// ---------------------------------------------------------------------------------------------------------------

/** The manifest entry for a kernel: one rule for every backend. */
export const kernelInfoOf = kernelInfo;

// ---------------------------------------------------------------------------------------------------------------
// Types (the per-dtype policy lives in ./dtypes.ts)

interface Ctx {
  readonly kernel: string;
  readonly target: Target;
  /** Graph ops the kernel came from (PrimFunc attrs.origin), for diagnostics. */
  readonly origin?: readonly string[];
  usesF16: boolean;
}

/** `"Op 'node'"` or `"Op"` (a PrimFunc origin entry) as diagnostic location facts. */
function originLocation(origin: readonly string[] | undefined): { node?: string; op?: string } {
  if (!origin || origin.length !== 1) return {};
  const m = /^([A-Za-z0-9_]+)(?: '(.*)')?$/.exec(origin[0]!);
  if (!m) return {};
  return { op: m[1]!, ...(m[2] !== undefined ? { node: m[2] } : {}) };
}

type Supported = Exclude<DTypeLowering, { storage: 'rejected' }>;

function lowering(ctx: Ctx, d: DType, what: string): Supported {
  const low = webgpuDType(d, ctx.target);
  if (low.storage !== 'rejected') return low;
  const from = ctx.origin && ctx.origin.length > 0 ? ` (from ${ctx.origin.join(', ')})` : '';
  throw new RelaxError('RLX_WEBGPU_UNSUPPORTED_DTYPE', `kernel ${ctx.kernel}${from}: ${what} has dtype ${d}; ${low.reason}`,
    { kernel: ctx.kernel, ...originLocation(ctx.origin) }, low.hint);
}

/** The WGSL value type a TIR dtype is computed in. */
function tyOf(ctx: Ctx, d: DType, what: string): Ty {
  const t = lowering(ctx, d, what).compute;
  if (t === 'f16') ctx.usesF16 = true;
  return t;
}

/** How a global buffer is stored: natively (including vec2<u32> pairs for 64-bit ints), or as packed lanes in u32 words. */
type Storage = { kind: 'native'; ty: Ty } | { kind: 'packed'; bits: 8 | 16; atomic: boolean; dtype: DType };

function storageOf(ctx: Ctx, b: Buffer, written: boolean): Storage {
  const low = lowering(ctx, b.dtype, `buffer '${b.name}'`);
  if (low.storage === 'packed') return { kind: 'packed', bits: low.bits, atomic: written, dtype: b.dtype };
  if (low.compute === 'f16') ctx.usesF16 = true;
  return { kind: 'native', ty: low.compute };
}

// ---------------------------------------------------------------------------------------------------------------
// Names

const RESERVED = new Set((
  'alias break case const const_assert continue continuing default diagnostic discard else enable false fn for if ' +
  'let loop override requires return struct switch true var while ' +
  'array atomic bool f16 f32 i32 mat2x2 mat2x3 mat2x4 mat3x2 mat3x3 mat3x4 mat4x2 mat4x3 mat4x4 ptr sampler ' +
  'sampler_comparison texture_1d texture_2d texture_2d_array texture_3d texture_cube texture_cube_array u32 vec2 vec3 vec4 ' +
  'NULL Self abstract active alignas alignof as asm asm_fragment async attribute auto await become cast catch class ' +
  'co_await co_return co_yield coherent column_major common compile compile_fragment concept const_cast consteval ' +
  'constexpr constinit crate debugger decltype delete demote demote_to_helper do dynamic_cast enum explicit export ' +
  'extends extern external fallthrough filter final finally friend from fxgroup get goto groupshared highp impl ' +
  'implements import inline instanceof interface layout lowp macro macro_rules match mediump meta mod module move mut ' +
  'mutable namespace new nil noexcept noinline nointerpolation non_coherent noncoherent noperspective null nullptr of ' +
  'operator package packoffset partition pass patch pixelfragment precise precision premerge priv protected pub public ' +
  'readonly ref regardless register reinterpret_cast require resource restrict self set shared sizeof smooth snorm ' +
  'static static_assert static_cast std subroutine super target template this thread_local throw trait try type ' +
  'typedef typeid typename typeof union unless unorm unsafe unsized use using varying virtual volatile wgsl where ' +
  'with writeonly yield'
).split(' '));

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

function validEntryName(name: string): boolean {
  return IDENT.test(name) && !name.startsWith('_') && !RESERVED.has(name) && !/^rlx_/.test(name) && !/^k\d+_/.test(name);
}

/** Per-function name allocator: every declaration gets a fresh, valid, non-shadowing WGSL name. */
class Names {
  private readonly used = new Set<string>();
  fresh(hint: string): string {
    let base = hint.replace(/[^A-Za-z0-9_]/g, '_').replace(/_+/g, '_');
    if (!/^[A-Za-z]/.test(base) || RESERVED.has(base) || /^rlx_/.test(base) || /^k\d+_/.test(base)) base = `v_${base}`.replace(/__+/g, '_');
    let name = base, i = 1;
    while (this.used.has(name)) name = `${base}_${i++}`;
    this.used.add(name);
    return name;
  }
  reserve(name: string): void { this.used.add(name); }
}

// ---------------------------------------------------------------------------------------------------------------
// Expressions (literals and conversions live in ./values.ts)

interface BufRef {
  readonly wgsl: string;
  readonly buffer: Buffer;
  readonly scope: 'global' | 'shared' | 'local';
  /** Global buffers only. */
  readonly storage?: Storage;
}

/** A bound scalar: loop and block variables and symbolic dims are index arithmetic (`ix`). */
interface VarRef { readonly name: string; readonly ty: Ty; readonly ix: boolean }

interface Env {
  readonly vars: ReadonlyMap<string, VarRef>;
  readonly bufs: ReadonlyMap<string, BufRef>;
}

/** Wraps an i32/u32 value to a narrow integer dtype (two's complement), as TIR casts require. */
function narrow(x: Code, d: DType): Code {
  switch (d) {
    case 'int8': return { c: `((${x.c} << 24u) >> 24u)`, ty: 'i32' };
    case 'int16': return { c: `((${x.c} << 16u) >> 16u)`, ty: 'i32' };
    case 'uint8': return { c: `(${x.c} & 0xffu)`, ty: 'u32' };
    case 'uint16': return { c: `(${x.c} & 0xffffu)`, ty: 'u32' };
    default: return x;
  }
}

/** Index arithmetic that stays in 32 bits even when its dtype is int64. */
function narrowIx(x: Code): boolean {
  return x.ix === true && (x.ty === 'i32' || x.ty === 'u32');
}

/** The u32 bits of a value stored into a packed lane of dtype `d`. */
function encodeLane(v: Code, d: DType): string {
  switch (d) {
    case 'bool': return `select(0u, 1u, ${conv(v, 'bool').c})`;
    case 'float16': return `rlx_f32_to_f16(${conv(v, 'f32').c})`;
    case 'bfloat16': return `rlx_f32_to_bf16(${conv(v, 'f32').c})`;
    case 'int8': case 'int16': return `bitcast<u32>(${conv(v, 'i32').c})`;
    default: return conv(v, 'u32').c;
  }
}

/** The value of a packed lane (u32 bits) of dtype `d`. */
function decodeLane(lane: string, d: DType): Code {
  switch (d) {
    case 'bool': return { c: `(${lane} != 0u)`, ty: 'bool' };
    case 'int8': return { c: `((i32(${lane}) << 24u) >> 24u)`, ty: 'i32' };
    case 'int16': return { c: `((i32(${lane}) << 16u) >> 16u)`, ty: 'i32' };
    case 'float16': return { c: `rlx_f16_to_f32(${lane})`, ty: 'f32' };
    case 'bfloat16': return { c: `rlx_bf16_to_f32(${lane})`, ty: 'f32' };
    default: return { c: lane, ty: 'u32' };
  }
}

const FLOAT_FN: Partial<Record<MathFn, string>> = {
  exp: 'exp', log: 'log', sqrt: 'sqrt', rsqrt: 'inverseSqrt', floor: 'floor', ceil: 'ceil', round: 'round',
  sin: 'sin', cos: 'cos', tan: 'tan', asin: 'asin', acos: 'acos', atan: 'atan', sinh: 'sinh', cosh: 'cosh',
  asinh: 'asinh', acosh: 'acosh', atanh: 'atanh', abs: 'abs', sign: 'sign',
  tanh: 'rlx_tanh', sigmoid: 'rlx_sigmoid', erf: 'rlx_erf',
};

class FnEmitter {
  /** Helpers named explicitly; generateWgsl also pulls in every `rlx_*` helper the code calls. */
  readonly helpers = new Set<string>();
  constructor(readonly ctx: Ctx) {}

  ty(d: DType, what = 'an expression'): Ty { return tyOf(this.ctx, d, what); }

  /** Emulated 16-bit floats (computed in f32) round every result to their precision. */
  private rounded(x: Code, d: DType): Code {
    if (d !== 'float16' && d !== 'bfloat16') return x;
    const low = lowering(this.ctx, d, 'an expression');
    return low.storage === 'packed' && low.round ? round16(x, low.round) : x;
  }

  /** `x` as a value of dtype `d`: int64 index arithmetic stays i32, everything else takes d's compute type. */
  fit(x: Code, d: DType): Code {
    if (is64BitInt(d) && narrowIx(x)) return conv(x, 'i32');
    return conv(x, this.ty(d));
  }

  /** Two operands of one dtype: both i32 for int64 index arithmetic, both i64/u64 when either is data. */
  private unify(a: Code, b: Code, d: DType): [Code, Code] {
    if (is64BitInt(d) && !(narrowIx(a) && narrowIx(b))) { const w = this.ty(d); return [conv(a, w), conv(b, w)]; }
    return [this.fit(a, d), this.fit(b, d)];
  }

  expr(e: Expr, env: Env): Code {
    switch (e.k) {
      case 'int': {
        if (is64BitInt(e.dtype)) {
          if (fitsI32(e.value)) return { c: intLit(e.value, 'i32'), ty: 'i32', ix: true };
          const ty = this.ty(e.dtype);
          return { c: intLit(e.value, ty), ty };
        }
        const ty = this.ty(e.dtype);
        return { c: intLit(e.value, ty), ty, ...(ty === 'i32' || ty === 'u32' ? { ix: true } : {}) };
      }
      case 'float': { const ty = this.ty(e.dtype); return this.rounded({ c: floatLit(e.value, ty), ty }, e.dtype); }
      case 'var': {
        const v = env.vars.get(e.name);
        if (!v) throw new RelaxError('RLX_INTERNAL', `kernel ${this.ctx.kernel}: variable '${e.name}' is not bound`, { kernel: this.ctx.kernel });
        return this.fit({ c: v.name, ty: v.ty, ...(v.ix ? { ix: true } : {}) }, e.dtype);
      }
      case 'cast': return this.cast(this.expr(e.a, env), e.dtype);
      case 'select': {
        const c = conv(this.expr(e.cond, env), 'bool');
        const [t, f] = this.unify(this.expr(e.t, env), this.expr(e.f, env), e.dtype);
        return { c: `select(${f.c}, ${t.c}, ${c.c})`, ty: t.ty, ...(t.ix && f.ix ? { ix: true } : {}) };
      }
      case 'cmp': {
        const a = this.expr(e.a, env);
        const b = this.expr(e.b, env);
        if (isWide(a.ty) || isWide(b.ty)) {
          const w = e.a.dtype === 'uint64' || e.b.dtype === 'uint64' ? 'u64' : 'i64';
          return wideCmp(e.op, conv(a, w), conv(b, w), w);
        }
        const op = { eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=' }[e.op];
        return { c: `(${a.c} ${op} ${conv(b, a.ty).c})`, ty: 'bool' };
      }
      case 'bin': return this.bin(e, env);
      case 'call': return this.call(e, env);
      case 'load': return this.load(e.buffer, e.indices, e.dtype, env);
    }
  }

  private cast(x: Code, d: DType): Code {
    if (is64BitInt(d)) return narrowIx(x) ? conv(x, 'i32') : conv(x, this.ty(d));
    if (isWide(x.ty) && (d === 'int8' || d === 'int16' || d === 'uint8' || d === 'uint16')) {
      return narrow(conv(x, d.startsWith('u') ? 'u32' : 'i32'), d);
    }
    return this.rounded(narrow(conv(x, this.ty(d)), d), d);
  }

  private bin(e: Extract<Expr, { k: 'bin' }>, env: Env): Code {
    const a = this.expr(e.a, env);
    const b = this.expr(e.b, env);
    if (is64BitInt(e.dtype)) {
      if (narrowIx(a) && narrowIx(b)) return { ...this.bin32(e.op, a, b, 'i32'), ix: true };
      const w = this.ty(e.dtype) as 'i64' | 'u64';
      return wideBin(e.op, conv(a, w), e.op === 'shl' || e.op === 'shr' ? b : conv(b, w), w);
    }
    return this.rounded(this.bin32(e.op, a, b, this.ty(e.dtype)), e.dtype);
  }

  /** A binary op computed in a 32-bit (or f16) WGSL type. */
  private bin32(op: BinOp, a0: Code, b0: Code, ty: Ty): Code {
    const a = conv(a0, ty);
    const isF = ty === 'f32' || ty === 'f16';
    if (op === 'shl' || op === 'shr') {
      const b = conv(b0, 'u32');
      return { c: `(${a.c} ${op === 'shl' ? '<<' : '>>'} ${b.c})`, ty };
    }
    const b = conv(b0, ty);
    switch (op) {
      case 'add': return { c: `(${a.c} + ${b.c})`, ty };
      case 'sub': return { c: `(${a.c} - ${b.c})`, ty };
      case 'mul': return { c: `(${a.c} * ${b.c})`, ty };
      case 'div': return { c: `(${a.c} / ${b.c})`, ty };
      case 'min': return { c: `min(${a.c}, ${b.c})`, ty };
      case 'max': return { c: `max(${a.c}, ${b.c})`, ty };
      case 'floordiv':
        if (isF) return { c: `floor(${a.c} / ${b.c})`, ty };
        if (ty === 'u32') return { c: `(${a.c} / ${b.c})`, ty };
        return { c: `rlx_floordiv(${a.c}, ${b.c})`, ty };
      case 'floormod':
        if (isF) return conv({ c: `rlx_floormod_f32(${conv(a, 'f32').c}, ${conv(b, 'f32').c})`, ty: 'f32' }, ty);
        if (ty === 'u32') return { c: `(${a.c} % ${b.c})`, ty };
        return { c: `rlx_floormod(${a.c}, ${b.c})`, ty };
      case 'truncmod': return { c: `(${a.c} % ${b.c})`, ty };
      case 'pow':
        if (isF) return conv({ c: `rlx_pow(${conv(a, 'f32').c}, ${conv(b, 'f32').c})`, ty: 'f32' }, ty);
        return conv({ c: `rlx_ipow(${conv(a, 'i32').c}, ${conv(b, 'i32').c})`, ty: 'i32' }, ty);
      case 'and': return { c: ty === 'bool' ? `(${a.c} && ${b.c})` : `(${a.c} & ${b.c})`, ty };
      case 'or': return { c: ty === 'bool' ? `(${a.c} || ${b.c})` : `(${a.c} | ${b.c})`, ty };
      case 'xor': return { c: ty === 'bool' ? `(${a.c} != ${b.c})` : `(${a.c} ^ ${b.c})`, ty };
    }
  }

  private call(e: Extract<Expr, { k: 'call' }>, env: Env): Code {
    const x = this.expr(e.args[0]!, env);
    if (is64BitInt(e.dtype)) {
      if (narrowIx(x)) return { ...this.call32(e.fn, x, 'i32'), ix: true };
      const w = this.ty(e.dtype) as 'i64' | 'u64';
      return this.call64(e.fn, conv(x, w), w);
    }
    return this.rounded(this.call32(e.fn, x, this.ty(e.dtype)), e.dtype);
  }

  /** A unary op on an int64/uint64 value. */
  private call64(fn: MathFn, x: Code, w: 'i64' | 'u64'): Code {
    switch (fn) {
      case 'neg': return { c: `rlx_i64_neg(${x.c})`, ty: w };
      case 'not': return { c: `(~${x.c})`, ty: w };
      case 'abs': return w === 'i64' ? { c: `rlx_i64_abs(${x.c})`, ty: w } : x;
      case 'sign': return w === 'i64' ? { c: `rlx_i64_sign(${x.c})`, ty: w } : { c: `vec2<u32>(select(0u, 1u, ${conv(x, 'bool').c}), 0u)`, ty: w };
      case 'reciprocal': return wideBin('div', { c: intLit(1, w), ty: w }, x, w);
      default: return conv(this.call32(fn, conv(x, 'f32'), 'f32'), w);
    }
  }

  /** A unary op computed in a 32-bit (or f16) WGSL type. */
  private call32(fn: MathFn, x: Code, ty: Ty): Code {
    const isF = ty === 'f32' || ty === 'f16';
    switch (fn) {
      case 'neg': { const v = conv(x, ty); return { c: ty === 'u32' ? `(0u - ${v.c})` : `(-${v.c})`, ty }; }
      case 'not': return ty === 'bool' ? { c: `(!${conv(x, 'bool').c})`, ty } : { c: `(~${conv(x, ty).c})`, ty };
      case 'reciprocal': { const v = conv(x, ty); return { c: `(${intLit(1, ty)} / ${v.c})`, ty }; }
      case 'isnan': case 'isinf': {
        if (x.ty !== 'f32' && x.ty !== 'f16') return conv({ c: 'false', ty: 'bool' }, ty);
        const bits = `(bitcast<u32>(${conv(x, 'f32').c}) & 0x7fffffffu)`;
        return conv({ c: fn === 'isnan' ? `(${bits} > 0x7f800000u)` : `(${bits} == 0x7f800000u)`, ty: 'bool' }, ty);
      }
      case 'abs': case 'sign':
        if (ty === 'u32') return fn === 'abs' ? conv(x, ty) : { c: `select(0u, 1u, ${conv(x, 'u32').c} != 0u)`, ty };
        return { c: `${fn}(${conv(x, ty).c})`, ty };
      default: {
        const f = FLOAT_FN[fn];
        if (!f) throw new RelaxError('RLX_INTERNAL', `kernel ${this.ctx.kernel}: no WGSL lowering for ${fn}`, { kernel: this.ctx.kernel });
        if (!isF) return conv({ c: `${f}(${conv(x, 'f32').c})`, ty: 'f32' }, ty);
        const arg = f.startsWith('rlx_') ? conv(x, 'f32') : conv(x, ty);
        return conv({ c: `${f}(${arg.c})`, ty: arg.ty }, ty);
      }
    }
  }

  /** Row-major flat index of `indices` into `buf` as i32 code (64-bit index values use their low word). */
  flatIndex(ref: BufRef, indices: readonly Expr[], env: Env): string {
    const shape = ref.buffer.shape;
    if (indices.length !== shape.length && !(shape.length === 0 && indices.length === 1)) {
      throw new RelaxError('RLX_INTERNAL', `kernel ${this.ctx.kernel}: buffer '${ref.buffer.name}' has rank ${shape.length} but is indexed with ${indices.length} indices`, { kernel: this.ctx.kernel });
    }
    let flat: Expr = int(0);
    if (shape.length === 0) flat = indices[0] ?? int(0);
    else indices.forEach((ix, i) => { flat = add(mul(flat, shape[i]!), ix); });
    return conv(this.expr(flat, env), 'i32').c;
  }

  private load(name: string, indices: readonly Expr[], dtype: DType, env: Env): Code {
    const ref = this.buf(name, env);
    const idx = this.flatIndex(ref, indices, env);
    const st = ref.storage;
    if (!st || st.kind === 'native') {
      const ty = st ? st.ty : this.ty(ref.buffer.dtype);
      return this.fit({ c: `${ref.wgsl}[${idx}]`, ty }, dtype);
    }
    const shift = st.bits === 8 ? 2 : 1;
    const word = st.atomic ? `atomicLoad(&${ref.wgsl}[u32(${idx}) >> ${shift}u])` : `${ref.wgsl}[u32(${idx}) >> ${shift}u]`;
    const lane = `${st.bits === 8 ? 'rlx_lane8' : 'rlx_lane16'}(${word}, ${idx})`;
    return this.fit(decodeLane(lane, st.dtype), dtype);
  }

  buf(name: string, env: Env): BufRef {
    const ref = env.bufs.get(name);
    if (!ref) throw new RelaxError('RLX_INTERNAL', `kernel ${this.ctx.kernel}: buffer '${name}' is not declared`, { kernel: this.ctx.kernel });
    return ref;
  }
}
// ---------------------------------------------------------------------------------------------------------------
// Statements and kernels

interface KernelOut {
  readonly decls: string[];
  readonly body: string[];
  readonly helpers: Set<string>;
  readonly usesF16: boolean;
}

const THREAD_AXIS: Record<ThreadTag, { builtin: 'lid' | 'bid'; axis: 0 | 1 | 2 }> = {
  'threadIdx.x': { builtin: 'lid', axis: 0 }, 'threadIdx.y': { builtin: 'lid', axis: 1 }, 'threadIdx.z': { builtin: 'lid', axis: 2 },
  'blockIdx.x': { builtin: 'bid', axis: 0 }, 'blockIdx.y': { builtin: 'bid', axis: 1 }, 'blockIdx.z': { builtin: 'bid', axis: 2 },
};

function staticSize(ctx: Ctx, b: Buffer): number {
  let n = 1;
  for (const d of b.shape) {
    if (d.k !== 'int') throw new RelaxError('RLX_WEBGPU_LIMIT', `kernel ${ctx.kernel}: ${b.scope} buffer '${b.name}' needs a static size in WGSL`, { kernel: ctx.kernel });
    n *= d.value;
  }
  return Math.max(1, n);
}

function limit(ctx: Ctx, what: string, value: number, max: number, hint?: string): void {
  if (value > max) {
    throw new RelaxError('RLX_WEBGPU_LIMIT', `kernel ${ctx.kernel}: ${what} is ${value}, above the target's limit of ${max}`, { kernel: ctx.kernel }, hint);
  }
}

function emitKernel(f: PrimFunc, index: number, info: KernelInfo, target: Target): KernelOut {
  const ctx: Ctx = { kernel: f.name, target, usesF16: false, ...(f.attrs.origin ? { origin: f.attrs.origin } : {}) };
  const em = new FnEmitter(ctx);
  const names = new Names();
  for (const r of ['rlx_lid', 'rlx_wid', 'rlx_nwg', 'rlx_gx', 'rlx_gy', 'rlx_gz', 'rlx_fy', 'rlx_bx', 'rlx_by', 'rlx_bz']) names.reserve(r);
  const decls: string[] = [];
  const body: string[] = [];
  const block = padTo3(f.attrs.launch?.block ?? [1]);
  const gridE: Expr[] = [...(f.attrs.launch?.grid ?? [int(1)])];
  while (gridE.length < 3) gridE.push(int(1));

  // limits
  const attrs = target.attrs;
  limit(ctx, 'invocations per workgroup', block[0] * block[1] * block[2], attrs.maxThreadsPerBlock, 'schedule with fewer threads per block (target attrs.maxThreadsPerBlock).');
  block.forEach((b, i) => limit(ctx, `workgroup size ${'xyz'[i]}`, b, i === 2 ? Math.min(MAX_WORKGROUP_SIZE_Z, attrs.maxThreadsPerBlock) : attrs.maxThreadsPerBlock));
  limit(ctx, 'storage buffers per shader stage', f.params.length, attrs.maxStorageBuffersPerStage ?? DEFAULT_STORAGE_BUFFERS, 'split the fused kernel or raise target attrs.maxStorageBuffersPerStage if your devices allow it.');

  // bindings
  const bufs = new Map<string, BufRef>();
  f.params.forEach((p, i) => {
    const param = info.params[i]!;
    const st = storageOf(ctx, p, param.access !== 'read');
    const name = `k${index}_p${i}`;
    const elem = st.kind === 'native' ? wgslType(st.ty) : st.atomic ? 'atomic<u32>' : 'u32';
    const mode = param.access === 'read' ? 'read' : 'read_write';
    decls.push(`@group(0) @binding(${i}) var<storage, ${mode}> ${name}: array<${elem}>; // ${p.name}: ${p.dtype}[${p.shape.map(shapeText).join(', ')}]`);
    bufs.set(p.name, { wgsl: name, buffer: p, scope: 'global', storage: st });
    if (p.shape.every((d) => d.k === 'int')) {
      const bytes = p.shape.reduce((n, d) => n * (d as { value: number }).value, 1) * DTYPE_BYTES[p.dtype];
      limit(ctx, `size in bytes of buffer '${p.name}'`, bytes, attrs.maxStorageBufferBindingSize ?? DEFAULT_BINDING_BYTES);
    }
  });
  const uni = hasUniform(info);
  const uname = `k${index}_u`;
  if (uni) decls.push(`@group(0) @binding(${f.params.length}) var<uniform> ${uname}: array<vec4<u32>, ${uniformVec4s(info)}>;`);
  const slot = (j: number) => `${uname}[${j >> 2}].${'xyzw'[j & 3]}`;

  // prologue: vars, grid, block indices
  const vars = new Map<string, VarRef>();
  f.vars.forEach((v, j) => {
    const name = names.fresh(v);
    vars.set(v, { name, ty: 'i32', ix: true });
    body.push(`  let ${name}: i32 = bitcast<i32>(${slot(j)});`);
  });
  const gridCode = gridE.map((g, a) => (g.k === 'int' ? `${Math.max(0, g.value)}u` : uni ? slot(f.vars.length + a) : '1u'));
  const gyOne = gridE[1]!.k === 'int' && gridE[1]!.value === 1;
  body.push(`  let rlx_gx: u32 = ${gridCode[0]};`);
  if (gyOne) {
    body.push('  let rlx_bx: u32 = rlx_wid.x + rlx_wid.y * rlx_nwg.x;', '  let rlx_by: u32 = 0u;');
  } else {
    body.push(
      '  let rlx_fy: u32 = (rlx_gx + rlx_nwg.x - 1u) / rlx_nwg.x;',
      '  let rlx_bx: u32 = rlx_wid.x + (rlx_wid.y % rlx_fy) * rlx_nwg.x;',
      '  let rlx_by: u32 = rlx_wid.y / rlx_fy;',
    );
  }
  body.push('  let rlx_bz: u32 = rlx_wid.z;');
  // The condition depends only on the workgroup id and uniforms, so the whole workgroup returns together and
  // barriers below stay in uniform control flow.
  body.push('  if (rlx_bx >= rlx_gx) { return; }');

  let shared = 0, sharedCount = 0, localCount = 0;
  const bound = new Map<string, { tag: ThreadTag }>();

  const stmt = (s: Stmt, env: Env, ind: string): void => {
    switch (s.k) {
      case 'seq': for (const b of s.body) stmt(b, env, ind); break;
      case 'for': {
        const name = names.fresh(s.var);
        const inner: Env = { ...env, vars: new Map(env.vars).set(s.var, { name, ty: 'i32', ix: true }) };
        if (s.kind === 'thread') {
          if (!s.thread) throw new RelaxError('RLX_INTERNAL', `kernel ${ctx.kernel}: thread loop '${s.var}' has no thread tag`, { kernel: ctx.kernel });
          if (!f.attrs.launch) throw new RelaxError('RLX_INTERNAL', `kernel ${ctx.kernel}: thread-bound loop '${s.var}' without launch geometry`, { kernel: ctx.kernel });
          bound.set(s.var, { tag: s.thread });
          const { builtin, axis } = THREAD_AXIS[s.thread];
          const src = builtin === 'lid' ? `rlx_lid.${'xyz'[axis]}` : `rlx_b${'xyz'[axis]}`;
          const full = builtin === 'lid' ? s.extent.k === 'int' && s.extent.value === block[axis] : exprEqual(s.extent, gridE[axis]!);
          body.push(`${ind}{`, `${ind}  let ${name}: i32 = i32(${src});`);
          if (!full) {
            const ext = conv(em.expr(s.extent, env), 'i32').c;
            body.push(`${ind}  if (${name} < ${ext}) {`);
            stmt(s.body, inner, ind + '    ');
            body.push(`${ind}  }`);
          } else {
            stmt(s.body, inner, ind + '  ');
          }
          body.push(`${ind}}`);
        } else {
          const ext = conv(em.expr(s.extent, env), 'i32').c;
          body.push(`${ind}for (var ${name}: i32 = 0i; ${name} < ${ext}; ${name} = ${name} + 1i) {${s.kind === 'serial' ? '' : ` // ${s.kind}`}`);
          stmt(s.body, inner, ind + '  ');
          body.push(`${ind}}`);
        }
        break;
      }
      case 'block': {
        body.push(`${ind}{ // block ${s.name}`);
        const vmap = new Map(env.vars);
        const reduce: string[] = [];
        s.iters.forEach((it, i) => {
          const name = names.fresh(it.name);
          body.push(`${ind}  let ${name}: i32 = ${conv(em.expr(s.bindings[i]!, env), 'i32').c};`);
          vmap.set(it.name, { name, ty: 'i32', ix: true });
          if (it.type === 'reduce') reduce.push(name);
        });
        const inner: Env = { ...env, vars: vmap };
        let ind2 = ind + '  ';
        if (s.predicate) {
          body.push(`${ind2}if (${conv(em.expr(s.predicate, inner), 'bool').c}) {`);
          ind2 += '  ';
        }
        if (s.init) {
          if (reduce.length === 0) stmt(s.init, inner, ind2);
          else {
            body.push(`${ind2}if (${reduce.map((r) => `${r} == 0i`).join(' && ')}) {`);
            stmt(s.init, inner, ind2 + '  ');
            body.push(`${ind2}}`);
          }
        }
        stmt(s.body, inner, ind2);
        if (s.predicate) body.push(`${ind}  }`);
        body.push(`${ind}}`);
        break;
      }
      case 'store': {
        const ref = em.buf(s.buffer, env);
        const idx = em.flatIndex(ref, s.indices, env);
        const st = ref.storage;
        if (!st || st.kind === 'native') {
          const ty = st ? st.ty : em.ty(ref.buffer.dtype);
          body.push(`${ind}${ref.wgsl}[${idx}] = ${conv(em.expr(s.value, env), ty).c};`);
        } else {
          const v = em.expr(s.value, env);
          const bits = st.bits, mask = bits === 8 ? '0xffu' : '0xffffu';
          const u = encodeLane(v, st.dtype);
          body.push(
            `${ind}{`,
            `${ind}  let rlx_i: u32 = u32(${idx});`,
            `${ind}  let rlx_sh: u32 = (rlx_i & ${bits === 8 ? 3 : 1}u) * ${bits}u;`,
            `${ind}  atomicAnd(&${ref.wgsl}[rlx_i >> ${bits === 8 ? 2 : 1}u], ~(${mask} << rlx_sh));`,
            `${ind}  atomicOr(&${ref.wgsl}[rlx_i >> ${bits === 8 ? 2 : 1}u], (${u} & ${mask}) << rlx_sh);`,
            `${ind}}`,
          );
        }
        break;
      }
      case 'if': {
        body.push(`${ind}if (${conv(em.expr(s.cond, env), 'bool').c}) {`);
        stmt(s.then, env, ind + '  ');
        if (s.else) { body.push(`${ind}} else {`); stmt(s.else, env, ind + '  '); }
        body.push(`${ind}}`);
        break;
      }
      case 'let': {
        const v = em.expr(s.value, env);
        const name = names.fresh(s.var);
        body.push(`${ind}{`, `${ind}  let ${name}: ${wgslType(v.ty)} = ${v.c};`);
        stmt(s.body, { ...env, vars: new Map(env.vars).set(s.var, { name, ty: v.ty, ix: v.ix === true }) }, ind + '  ');
        body.push(`${ind}}`);
        break;
      }
      case 'alloc': {
        const b = s.buffer;
        const n = staticSize(ctx, b);
        const ty = em.ty(b.dtype, `${b.scope} buffer '${b.name}'`);
        if (b.scope === 'shared') {
          const name = `k${index}_s${sharedCount++}`;
          decls.push(`var<workgroup> ${name}: array<${wgslType(ty)}, ${n}>; // ${b.name}`);
          shared += Math.ceil((n * tyBytes(ty)) / 16) * 16;
          stmt(s.body, { ...env, bufs: new Map(env.bufs).set(b.name, { wgsl: name, buffer: b, scope: 'shared' }) }, ind);
        } else {
          const name = names.fresh(`${b.name}_l${localCount++}`);
          body.push(`${ind}{`, `${ind}  var ${name}: array<${wgslType(ty)}, ${n}>;`);
          stmt(s.body, { ...env, bufs: new Map(env.bufs).set(b.name, { wgsl: name, buffer: b, scope: b.scope === 'global' ? 'local' : b.scope }) }, ind + '  ');
          body.push(`${ind}}`);
        }
        break;
      }
      case 'barrier': body.push(`${ind}workgroupBarrier();`); break;
    }
  };
  stmt(f.body, { vars, bufs }, '  ');
  limit(ctx, 'workgroup memory in bytes', shared, attrs.maxSharedMemoryBytes, 'use smaller shared-memory tiles (target attrs.maxSharedMemoryBytes).');
  return { decls, body, helpers: em.helpers, usesF16: ctx.usesF16 };
}

function shapeText(e: Expr): string {
  return e.k === 'int' ? String(e.value) : e.k === 'var' ? e.name : '?';
}

/** Generates the WGSL module for scheduled PrimFuncs. Throws RelaxError on unsupported dtypes and limits. */
export function generateWgsl(funcs: readonly PrimFunc[], target: Target): WgslModule {
  const kernels: KernelInfo[] = [];
  const parts: { kernel: string; text: string[] }[] = [];
  const helpers = new Set<string>();
  let usesF16 = false;
  const seen = new Set<string>();
  funcs.forEach((f, i) => {
    if (!validEntryName(f.name) || seen.has(f.name)) {
      throw new RelaxError('RLX_INTERNAL', `kernel name '${f.name}' is not a usable WGSL entry point name${seen.has(f.name) ? ' (duplicate)' : ''}`, { kernel: f.name });
    }
    seen.add(f.name);
    const info = kernelInfoOf(f);
    const out = emitKernel(f, i, info, target);
    out.helpers.forEach((h) => helpers.add(h));
    usesF16 ||= out.usesF16;
    const [bx, by, bz] = padTo3(f.attrs.launch?.block ?? [1]);
    const text = [
      kernelHeader(f.name, f.attrs.scheduledBy),
      ...out.decls,
      '',
      `@compute @workgroup_size(${bx}, ${by}, ${bz})`,
      `fn ${f.name}(@builtin(local_invocation_id) rlx_lid: vec3<u32>, @builtin(workgroup_id) rlx_wid: vec3<u32>, @builtin(num_workgroups) rlx_nwg: vec3<u32>) {`,
      ...out.body,
      '}',
      '',
    ];
    parts.push({ kernel: f.name, text });
    kernels.push(info);
  });
  const head: string[] = ['// Generated by relax: WebGPU compute kernels. Do not edit.'];
  if (usesF16) head.push('enable f16;');
  head.push('');
  // Helpers named by the kernels (or added explicitly), with those they call.
  const used = helpersUsedBy([...parts.map((p) => p.text.join('\n')), ...[...helpers].map((n) => `${n}(`)].join('\n'));
  for (const h of used) head.push(...ALL_WGSL_HELPERS[h]!.split('\n'), '');
  const lines: { kernel: string; first: number; last: number }[] = [];
  const all = [...head];
  for (const p of parts) {
    lines.push({ kernel: p.kernel, first: all.length + 1, last: all.length + p.text.length });
    all.push(...p.text);
  }
  return { code: all.join('\n'), kernels, lines };
}
