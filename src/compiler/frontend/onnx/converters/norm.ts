/**
 * LayerNormalization (optional Mean / InvStdDev outputs), RMSNormalization, InstanceNormalization and
 * BatchNormalization (inference; training_mode from opset 14 with running-statistics outputs).
 */
import type { Atom } from '../../../ir/types.js';
import type { ConvertCtx, ConverterTable } from './types.js';
import { tensorInfo } from './util.js';

const wants = (ctx: ConvertCtx, i: number): boolean => Boolean(ctx.node.outputs[i]);

function stashType(ctx: ConvertCtx): void {
  const s = ctx.attrInt('stash_type', 1);
  if (s !== 1) ctx.unsupported(`stash_type ${s} (only 1, float32 statistics, is supported)`);
}

/** Emits a tuple-valued op and binds ONNX output i to field i for every requested output. */
function tupleOutputs(ctx: ConvertCtx, tup: Atom, n: number): void {
  const s = ctx.sinfo(tup);
  if (s.k !== 'tuple') ctx.unsupported('a normalization result that is not a tuple');
  for (let i = 0; i < n; i++) if (wants(ctx, i)) ctx.setOutput(i, ctx.emit({ k: 'tuple_get', tuple: tup, index: i }, s.fields[i]!, i));
}

export const NORM_CONVERTERS: ConverterTable = {
  LayerNormalization: {
    attrs: ['axis', 'epsilon', 'stash_type'],
    convert(ctx) {
      stashType(ctx);
      const x = ctx.required(0, 'X'), scale = ctx.required(1, 'Scale'), bias = ctx.input(2);
      tensorInfo(ctx, x, 'X');
      const stats = wants(ctx, 1) || wants(ctx, 2);
      const attrs = { axis: ctx.attrInt('axis', -1), epsilon: ctx.attrFloat('epsilon', 1e-5), stats };
      const y = ctx.op('layer_norm', bias ? [x, scale, bias] : [x, scale], attrs, stats ? 'ln' : 0);
      if (stats) tupleOutputs(ctx, y, 3); else ctx.setOutput(0, y);
    },
  },
  RMSNormalization: {
    attrs: ['axis', 'epsilon', 'stash_type'],
    convert(ctx) {
      stashType(ctx);
      const attrs = { axis: ctx.attrInt('axis', -1), epsilon: ctx.attrFloat('epsilon', 1e-5) };
      ctx.setOutput(0, ctx.op('rms_norm', [ctx.required(0, 'X'), ctx.required(1, 'scale')], attrs, 0));
    },
  },
  InstanceNormalization: {
    attrs: ['epsilon'],
    convert(ctx) {
      const args = [ctx.required(0, 'input'), ctx.required(1, 'scale'), ctx.required(2, 'B')];
      ctx.setOutput(0, ctx.op('instance_norm', args, { epsilon: ctx.attrFloat('epsilon', 1e-5) }, 0));
    },
  },
  BatchNormalization: {
    attrs: ['epsilon', 'momentum', 'training_mode', 'spatial', 'is_test', 'consumed_inputs'],
    convert(ctx) {
      const args = [ctx.required(0, 'X'), ctx.required(1, 'scale'), ctx.required(2, 'B'), ctx.required(3, 'input_mean'), ctx.required(4, 'input_var')];
      if (ctx.attrInt('spatial', 1) !== 1) ctx.unsupported('spatial=0 (per-activation statistics)', 'Re-export the model with opset 9 or newer.');
      const epsilon = ctx.attrFloat('epsilon', 1e-5);
      const training = ctx.opset >= 14 ? ctx.attrInt('training_mode', 0) !== 0 : ctx.node.outputs.slice(1).some((o) => o);
      if (!training) {
        if (ctx.node.outputs.slice(1).some((o) => o)) ctx.unsupported('running-statistics outputs in inference mode');
        ctx.setOutput(0, ctx.op('batch_norm', args, { epsilon }, 0));
        return;
      }
      if (ctx.opset < 14) ctx.unsupported(`training-mode outputs before opset 14 (the node has ${ctx.node.outputs.length} outputs)`, 'Re-export the model with opset 14 or newer, or for inference.');
      const tup = ctx.op('batch_norm_train', args, { epsilon, momentum: ctx.attrFloat('momentum', 0.9) }, 'bn');
      tupleOutputs(ctx, tup, 3);
    },
  },
};
