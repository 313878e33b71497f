/** Cast, CastLike, Clip (constant bounds baked in, run-time bounds as tensor operands), Dropout (inference), Identity. */
import { ONNX_DTYPE, type DType } from '../../../../formats/dtype.js';
import type { Atom, Attrs } from '../../../ir/types.js';
import type { ConvertCtx, ConverterTable } from './types.js';
import { tensorInfo, tensorValues } from './util.js';

/** float8/float4/int4/string and other types relax has no dtype for. */
function onnxDtype(ctx: ConvertCtx, code: number, what: string): DType {
  const d = ONNX_DTYPE[code];
  if (!d) ctx.unsupported(`${what} of ONNX data type ${code}`, 'relax supports float16/bfloat16/float32/float64, (u)int8..64 and bool.');
  return d;
}

/** A one-element constant's value, or undefined when input i is not a constant. */
function scalarConstant(ctx: ConvertCtx, i: number, what: string): number | undefined {
  const t = ctx.constant(i);
  if (!t) return undefined;
  const v = tensorValues(t);
  if (v.length !== 1) ctx.unsupported(`a '${what}' input with ${v.length} elements (must be a scalar)`);
  return v[0]!;
}

export const MISC_CONVERTERS: ConverterTable = {
  Cast: {
    // saturate and round_mode only concern float8/float4 targets, which are rejected.
    attrs: ['to', 'saturate', 'round_mode'],
    convert(ctx: ConvertCtx) {
      const to = ctx.attr('to');
      if (!to || to.type !== 'int') ctx.unsupported("a Cast without an integer 'to' attribute");
      const dtype = onnxDtype(ctx, to.value, 'a cast to');
      ctx.setOutput(0, ctx.op('cast', [ctx.required(0, 'input')], { dtype }, 0));
    },
  },
  CastLike: {
    attrs: ['saturate', 'round_mode'],
    convert(ctx: ConvertCtx) {
      const dtype = tensorInfo(ctx, ctx.required(1, 'target_type'), 'target_type').dtype;
      ctx.setOutput(0, ctx.op('cast', [ctx.required(0, 'input')], { dtype }, 0));
    },
  },
  Clip: {
    attrs: ['min', 'max', 'consumed_inputs'],
    convert(ctx: ConvertCtx) {
      const x = ctx.required(0, 'input');
      if (ctx.opset < 11) {
        const a = ctx.attr('min'), b = ctx.attr('max');
        const lo = a && a.type === 'float' ? a.value : null;
        const hi = b && b.type === 'float' ? b.value : null;
        ctx.setOutput(0, ctx.op('clip', [x], { min: lo, max: hi }, 0));
        return;
      }
      // Constant bounds are baked into the kernel; bounds computed at run time are tensor operands.
      const attrs: Record<string, number | null | readonly string[]> = { min: null, max: null };
      const args: Atom[] = [x];
      const inputs: string[] = [];
      (['min', 'max'] as const).forEach((k, j) => {
        const a = ctx.input(j + 1);
        if (!a) return;
        const v = scalarConstant(ctx, j + 1, k);
        if (v !== undefined) { attrs[k] = v; return; }
        args.push(a);
        inputs.push(k);
      });
      if (inputs.length) attrs.inputs = inputs;
      ctx.setOutput(0, ctx.op('clip', args, attrs as Attrs, 0));
    },
  },
  Dropout: {
    attrs: ['ratio', 'is_test', 'seed', 'consumed_inputs'],
    convert(ctx: ConvertCtx) {
      const x = ctx.required(0, 'data');
      // relax compiles for inference: Dropout is the identity unless the model asks for training mode.
      let training = false;
      if (ctx.opset < 7) training = ctx.attrInt('is_test', 0) === 0;
      else if (ctx.opset >= 12 && ctx.input(2)) {
        const t = ctx.constant(2);
        if (!t) {
          ctx.unsupported(`a 'training_mode' input computed at run time (input '${ctx.node.inputs[2]}')`,
            'relax compiles Dropout for inference: make training_mode a constant false, or drop it.');
        }
        training = tensorValues(t)[0] !== 0;
      }
      if (training) {
        const ratio = ctx.opset >= 12 ? (ctx.input(1) ? scalarConstant(ctx, 1, 'ratio') : 0.5) : ctx.attrFloat('ratio', 0.5);
        if (ratio !== 0) {
          ctx.unsupported('training mode (random dropout)', 'relax compiles for inference: export the model in eval mode.');
        }
      }
      ctx.setOutput(0, x.k === 'const' ? x : ctx.op('identity', [x], {}, 0));
      if (ctx.node.outputs[1]) {
        // The mask is all true (bool from opset 10, the input's type before).
        const dtype = ctx.opset >= 10 ? 'bool' : tensorInfo(ctx, x, 'data').dtype;
        ctx.setOutput(1, ctx.op('full_like', [x], { value: 1, dtype }, 1));
      }
    },
  },
  Identity: {
    attrs: [],
    convert(ctx: ConvertCtx) {
      const x = ctx.required(0, 'input');
      if (ctx.sinfo(x).k !== 'tensor') ctx.unsupported('a non-tensor input (sequences and optionals are not supported)');
      // The identity of a constant is that constant (TorchScript exports wrap shared weights in Identity nodes).
      ctx.setOutput(0, x.k === 'const' ? x : ctx.op('identity', [x], {}, 0));
    },
  },
};
