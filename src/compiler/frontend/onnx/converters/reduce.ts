/**
 * ReduceSum/Mean/Max/Min/Prod/SumSquare/L1/L2/LogSum/LogSumExp, ArgMax/ArgMin, GlobalAveragePool/GlobalMaxPool.
 * Reduce axes are an attribute before opset 13 (ReduceSum) / 18 (the others) and an optional input after; the
 * input decides the output rank, so it must be a build-time constant. No axes (or an empty axes input) reduce
 * every axis, unless noop_with_empty_axes makes the op an identity.
 */
import type { ReduceKind } from '../../../ops/reduce.js';
import type { Converter, ConvertCtx, ConverterTable } from './types.js';
import { tensorInfo, tensorValues } from './util.js';

/** Opset from which each reduction takes `axes` as an input. */
function axesInputFrom(op: string): number {
  return op === 'ReduceSum' ? 13 : 18;
}

function constAxes(ctx: ConvertCtx): readonly number[] | undefined {
  if (!ctx.input(1)) return undefined;
  const t = ctx.constant(1);
  if (!t) {
    ctx.unsupported(`an 'axes' input that is not a constant (input '${ctx.node.inputs[1]}' is computed at run time)`,
      "The reduced axes decide the output's rank, so relax needs them at build time: make 'axes' an initializer or a Constant " +
      '(e.g. fold the model with onnx-simplifier), or bind that graph input to a value when building.');
  }
  if (t.dtype !== 'int64' && t.dtype !== 'int32') ctx.unsupported(`an 'axes' input of type ${t.dtype} (must be int64)`);
  return tensorValues(t);
}

function reduceConverter(kind: ReduceKind): Converter {
  return {
    attrs: ['axes', 'keepdims', 'noop_with_empty_axes'],
    constInputs: [1],
    convert(ctx) {
      const x = ctx.required(0, 'data');
      const rank = tensorInfo(ctx, x, 'data').shape.length;
      const fromInput = ctx.opset >= axesInputFrom(ctx.node.opType);
      if (fromInput && ctx.attr('axes')) ctx.unsupported(`the 'axes' attribute (since opset ${axesInputFrom(ctx.node.opType)} axes are an input)`);
      const axes = fromInput ? constAxes(ctx) : ctx.attrInts('axes');
      for (const a of axes ?? []) {
        if (a < -rank || a >= Math.max(rank, 1)) ctx.unsupported(`axis ${a} for a rank-${rank} input`);
      }
      const keepdims = ctx.attrInt('keepdims', 1) !== 0;
      if (!axes || axes.length === 0) {
        if (ctx.attrInt('noop_with_empty_axes', 0) !== 0) {
          ctx.setOutput(0, ctx.op('identity', [x], {}, 0));
          return;
        }
        ctx.setOutput(0, ctx.op(`reduce_${kind}`, [x], { keepdims }, 0));
        return;
      }
      ctx.setOutput(0, ctx.op(`reduce_${kind}`, [x], { axes: [...axes], keepdims }, 0));
    },
  };
}

function argConverter(op: 'argmax' | 'argmin'): Converter {
  return {
    attrs: ['axis', 'keepdims', 'select_last_index'],
    convert(ctx) {
      const x = ctx.required(0, 'data');
      const rank = tensorInfo(ctx, x, 'data').shape.length;
      const axis = ctx.attrInt('axis', 0);
      if (rank === 0 || axis < -rank || axis >= rank) ctx.unsupported(`axis ${axis} for a rank-${rank} input`);
      const attrs = { axis, keepdims: ctx.attrInt('keepdims', 1) !== 0, select_last_index: ctx.attrInt('select_last_index', 0) !== 0 };
      ctx.setOutput(0, ctx.op(op, [x], attrs, 0));
    },
  };
}

function globalPool(kind: 'mean' | 'max'): Converter {
  return {
    attrs: [],
    convert(ctx) {
      const x = ctx.required(0, 'X');
      const rank = tensorInfo(ctx, x, 'X').shape.length;
      if (rank < 3) ctx.unsupported(`a rank-${rank} input (needs N, C and at least one spatial dim)`);
      const axes = Array.from({ length: rank - 2 }, (_, i) => i + 2);
      ctx.setOutput(0, ctx.op(`reduce_${kind}`, [x], { axes, keepdims: true }, 0));
    },
  };
}

export const REDUCE_CONVERTERS: ConverterTable = {
  ReduceSum: reduceConverter('sum'),
  ReduceMean: reduceConverter('mean'),
  ReduceMax: reduceConverter('max'),
  ReduceMin: reduceConverter('min'),
  ReduceProd: reduceConverter('prod'),
  ReduceSumSquare: reduceConverter('sum_square'),
  ReduceL1: reduceConverter('l1'),
  ReduceL2: reduceConverter('l2'),
  ReduceLogSum: reduceConverter('log_sum'),
  ReduceLogSumExp: reduceConverter('log_sum_exp'),
  ArgMax: argConverter('argmax'),
  ArgMin: argConverter('argmin'),
  GlobalAveragePool: globalPool('mean'),
  GlobalMaxPool: globalPool('max'),
};
