/**
 * DispatchSampling: `multinomial_from_uniform(probs[b, v], uniform[b, 1])` becomes a `call_tir` to a kernel
 * that returns, per row, the first index whose running probability sum exceeds the uniform sample (the last
 * index when rounding leaves the sum short). Runs on every target, so sampling never reaches VM codegen
 * undispatched.
 */
import { RelaxError } from '../../diagnostics/index.js';
import type { Binding } from '../ir/types.js';
import { mapFunctions, tensorSinfo } from '../ir/util.js';
import { add, and, cmp, float, freeVars, int, ivar, load, sub } from '../tir/expr.js';
import type { Buffer, PrimFunc, Stmt } from '../tir/types.js';
import type { Pass } from './pass.js';
import { TirTable } from './tir-table.js';

export function samplingKernel(probs: Buffer, uniform: Buffer, out: Buffer): PrimFunc {
  const [B, V] = probs.shape as [PrimFunc['params'][0]['shape'][0], PrimFunc['params'][0]['shape'][0]];
  const dt = probs.dtype;
  const acc: Buffer = { name: 'acc', dtype: dt, shape: [], scope: 'local' };
  const found: Buffer = { name: 'found', dtype: 'int64', shape: [], scope: 'local' };
  const r = ivar('r'), i = ivar('i');
  const row: Stmt = {
    k: 'alloc', buffer: acc, body: {
      k: 'alloc', buffer: found, body: {
        k: 'seq', body: [
          { k: 'store', buffer: 'acc', indices: [], value: float(0, dt) },
          { k: 'store', buffer: 'found', indices: [], value: sub(V!, int(1)) },
          {
            k: 'for', var: 'i', extent: V!, kind: 'serial', body: {
              k: 'seq', body: [
                { k: 'store', buffer: 'acc', indices: [], value: add(load('acc', [], dt), load(probs.name, [r, i], dt)) },
                {
                  k: 'if', cond: and(cmp('gt', load('acc', [], dt), load(uniform.name, [r, int(0)], dt)), cmp('eq', load('found', [], 'int64'), sub(V!, int(1)))),
                  then: { k: 'if', cond: cmp('lt', i, load('found', [], 'int64')), then: { k: 'store', buffer: 'found', indices: [], value: i } },
                },
              ],
            },
          },
          { k: 'store', buffer: out.name, indices: [r, int(0)], value: load('found', [], 'int64') },
        ],
      },
    },
  };
  const params = [probs, uniform, out];
  const vars = [...new Set(params.flatMap((p) => p.shape.flatMap((d) => freeVars(d))))].sort();
  return { k: 'prim_func', name: 'multinomial_from_uniform', params, vars, body: { k: 'for', var: 'r', extent: B!, kind: 'serial', body: row }, attrs: { pattern: 'opaque' } };
}

export const dispatchSampling: Pass = {
  name: 'DispatchSampling',
  description: 'lower multinomial_from_uniform sampling to a tensor function',
  run(mod) {
    const table = new TirTable(mod.tir);
    const sinfo = new Map<string, Binding['sinfo']>();
    const out = mapFunctions(mod, (f) => {
      for (const p of f.params) sinfo.set(p.name, p.sinfo);
      return {
        ...f,
        blocks: f.blocks.map((blk) => ({
          ...blk,
          bindings: blk.bindings.map((b): Binding => {
            sinfo.set(b.var, b.sinfo);
            const v = b.value;
            if (v.k !== 'op' || v.op !== 'multinomial_from_uniform') return b;
            const [pa, ua] = v.args;
            if (!pa || !ua || pa.k !== 'var' || ua.k !== 'var') throw new RelaxError('RLX_IR_MALFORMED', 'multinomial_from_uniform takes (probs, uniform) tensors');
            const ps = tensorSinfo(sinfo.get(pa.name)!, 'probs'), us = tensorSinfo(sinfo.get(ua.name)!, 'uniform'), os = tensorSinfo(b.sinfo, 'sample');
            const fn = samplingKernel({ name: 'probs', dtype: ps.dtype, shape: ps.shape, scope: 'global' },
              { name: 'uniform', dtype: us.dtype, shape: us.shape, scope: 'global' }, { name: 'sample', dtype: os.dtype, shape: os.shape, scope: 'global' });
            const name = table.add(fn);
            return { ...b, value: { k: 'call_tir', fn: name, args: v.args, out: b.sinfo } };
          }),
        })),
      };
    });
    return { ...out, tir: table.toRecord() };
  },
};
