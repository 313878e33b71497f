/**
 * GPU memory verification: on a GPU, every access to a global buffer must happen inside a thread environment
 * (a loop bound to blockIdx/threadIdx). A kernel that the pipeline did not schedule fails here with the message
 * TVM users know, naming the model, op and kernel, instead of crashing at launch.
 */
import { RelaxError } from '../../diagnostics/index.js';
import type { Target } from '../../formats/manifest.js';
import { DTYPE_BYTES } from '../../formats/dtype.js';
import type { Expr, PrimFunc, Stmt } from '../tir/types.js';

function firstUnboundAccess(f: PrimFunc): string | null {
  const globals = new Set(f.params.map((p) => p.name));
  let found: string | null = null;
  const checkExpr = (e: Expr, bound: boolean): void => {
    if (found) return;
    switch (e.k) {
      case 'load': if (!bound && globals.has(e.buffer)) { found = e.buffer; return; } e.indices.forEach((i) => checkExpr(i, bound)); break;
      case 'bin': case 'cmp': checkExpr(e.a, bound); checkExpr(e.b, bound); break;
      case 'call': e.args.forEach((a) => checkExpr(a, bound)); break;
      case 'select': checkExpr(e.cond, bound); checkExpr(e.t, bound); checkExpr(e.f, bound); break;
      case 'cast': checkExpr(e.a, bound); break;
      default: break;
    }
  };
  const visit = (s: Stmt, bound: boolean): void => {
    if (found) return;
    switch (s.k) {
      case 'seq': s.body.forEach((b) => visit(b, bound)); break;
      case 'for': checkExpr(s.extent, bound); visit(s.body, bound || s.kind === 'thread'); break;
      case 'block': s.bindings.forEach((b) => checkExpr(b, bound)); if (s.predicate) checkExpr(s.predicate, bound); if (s.init) visit(s.init, bound); visit(s.body, bound); break;
      case 'store': if (!bound && globals.has(s.buffer)) { found = s.buffer; return; } s.indices.forEach((i) => checkExpr(i, bound)); checkExpr(s.value, bound); break;
      case 'if': checkExpr(s.cond, bound); visit(s.then, bound); if (s.else) visit(s.else, bound); break;
      case 'let': checkExpr(s.value, bound); visit(s.body, bound); break;
      case 'alloc': visit(s.body, bound); break;
      case 'barrier': break;
    }
  };
  visit(f.body, false);
  return found;
}

export interface VerifyContext {
  readonly model: string;
  readonly target: Target;
}

/** Throws RLX_VERIFY_MEMORY for the first kernel with an unbound global access. */
export function verifyGpuMemory(f: PrimFunc, ctx: VerifyContext): void {
  const v = firstUnboundAccess(f);
  if (!v) return;
  const op = f.attrs.origin?.join(', ');
  throw new RelaxError('RLX_VERIFY_MEMORY',
    `Memory verification failed: Variable ${v} is directly accessed by host memory (it is not contained in a thread environment or in the function arguments). Did you forget to bind?`,
    { model: ctx.model, target: ctx.target.name, kernel: f.name, ...(op ? { op } : {}) },
    `Kernel '${f.name}' was not scheduled for the GPU. Use pipeline "default" (it resolves to the ${ctx.target.kind} pipeline with fusion and scheduling) instead of a pipeline without GPU scheduling.`);
}

/** Thread, shared-memory and intermediate-buffer limits of the target. */
export function verifyGpuLimits(f: PrimFunc, ctx: VerifyContext): void {
  const where = { model: ctx.model, target: ctx.target.name, kernel: f.name };
  const block = f.attrs.launch?.block ?? [1];
  const threads = block.reduce((a, b) => a * b, 1);
  if (threads > ctx.target.attrs.maxThreadsPerBlock) {
    throw new RelaxError('RLX_VERIFY_LIMIT', `kernel uses ${threads} threads per block; target allows ${ctx.target.attrs.maxThreadsPerBlock}`, where,
      'Lower maxThreadsPerBlock in the schedule, or raise it on the target if the device allows it.');
  }
  let shared = 0;
  const visit = (s: Stmt): void => {
    switch (s.k) {
      case 'seq': s.body.forEach(visit); break;
      case 'for': case 'let': visit(s.body); break;
      case 'block': if (s.init) visit(s.init); visit(s.body); break;
      case 'if': visit(s.then); if (s.else) visit(s.else); break;
      case 'alloc': {
        const b = s.buffer;
        const static_ = b.shape.every((d) => d.k === 'int');
        if (b.scope === 'global' || !static_) {
          throw new RelaxError('RLX_VERIFY_ALLOC', `kernel allocates ${b.scope} buffer '${b.name}'${static_ ? '' : ' of symbolic size'} inside the kernel, which GPUs cannot do`, where,
            'The fused group could not be inlined into one kernel; this is a scheduling gap in relax. Please report the model.');
        }
        if (b.scope === 'shared') shared += b.shape.reduce((a, d) => a * (d as { value: number }).value, 1) * DTYPE_BYTES[b.dtype];
        visit(s.body);
        break;
      }
      default: break;
    }
  };
  visit(f.body);
  if (shared > ctx.target.attrs.maxSharedMemoryBytes) {
    throw new RelaxError('RLX_VERIFY_LIMIT', `kernel uses ${shared} bytes of shared memory; target allows ${ctx.target.attrs.maxSharedMemoryBytes}`, where);
  }
}
