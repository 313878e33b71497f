/**
 * Named pipelines: ordered stages of pass names (TVM's four stages). The pass implementations are looked up by
 * name in transform/index.ts; keeping pipelines as names makes them printable, hashable and overridable.
 */
export interface StageSpec {
  readonly name: string;
  readonly passes: readonly string[];
}

const LIBRARY_DISPATCH: StageSpec = { name: 'library-dispatch', passes: ['DispatchSampling', 'DispatchSortScan'] };
const DATAFLOW_LOWERING: StageSpec = {
  name: 'dataflow-lowering',
  passes: ['RewriteDataflowReshape', 'DeadCodeElimination', 'CallTIRRewrite', 'StaticPlanBlockMemory', 'KillAfterLastUse'],
};
const FINALIZE: StageSpec = { name: 'finalize', passes: ['VMShapeLower'] };

/** Target-agnostic: legalize and lower; no fusion, no GPU scheduling. Still dispatches sort/scan/sampling. */
const GENERIC: readonly StageSpec[] = [
  LIBRARY_DISPATCH,
  { name: 'legalize', passes: ['LegalizeOps', 'AnnotateTIROpPattern', 'InlineFill', 'DedupeTIR'] },
  DATAFLOW_LOWERING,
  FINALIZE,
];

/** GPU: the generic stages plus constant folding, fusion and rule-based scheduling. */
const GPU_LEGALIZE: StageSpec = {
  name: 'legalize',
  passes: ['LegalizeOps', 'AnnotateTIROpPattern', 'InlineFill', 'FoldConstant', 'FuseOps', 'FuseTIR', 'DeadCodeElimination', 'ApplyDefaultSchedule', 'DedupeTIR'],
};
const GPU: readonly StageSpec[] = [LIBRARY_DISPATCH, GPU_LEGALIZE, DATAFLOW_LOWERING, FINALIZE];

export const PIPELINES: Readonly<Record<string, { readonly description: string; readonly stages: readonly StageSpec[] }>> = {
  generic: { description: 'target-agnostic: library dispatch, legalization and VM lowering; no fusion or GPU scheduling', stages: GENERIC },
  cuda: { description: 'CUDA: generic stages plus FoldConstant, FuseOps, FuseTIR and rule-based GPU scheduling', stages: GPU },
  webgpu: { description: 'WebGPU: generic stages plus FoldConstant, FuseOps, FuseTIR and rule-based GPU scheduling', stages: GPU },
};

export const PIPELINE_NAMES = ['default', ...Object.keys(PIPELINES)] as const;
