/** Every pass by name. Pipelines (pipeline/registry.ts) refer to these names. */
import { annotateTIROpPattern } from './annotate-op-pattern.js';
import { applyDefaultSchedule } from './apply-default-schedule.js';
import { callTIRRewrite } from './call-tir-rewrite.js';
import { deadCodeElimination } from './dead-code-elimination.js';
import { dedupeTIR } from './dedupe-tir.js';
import { dispatchSampling } from './dispatch-sampling.js';
import { dispatchSortScan } from './dispatch-sort-scan.js';
import { foldConstant } from './fold-constant.js';
import { fuseOps } from './fuse-ops.js';
import { fuseTIR } from './fuse-tir.js';
import { inlineFill } from './inline-fill.js';
import { killAfterLastUse } from './kill-after-last-use.js';
import { legalizeOps } from './legalize-ops.js';
import type { Pass } from './pass.js';
import { staticPlanBlockMemory } from './static-plan-block-memory.js';
import { rewriteDataflowReshape } from './rewrite-dataflow-reshape.js';
import { vmShapeLower } from './vm-shape-lower.js';

export const PASSES: ReadonlyMap<string, Pass> = new Map([
  dispatchSampling, dispatchSortScan, legalizeOps, annotateTIROpPattern, foldConstant, fuseOps, fuseTIR,
  deadCodeElimination, applyDefaultSchedule, callTIRRewrite, staticPlanBlockMemory, killAfterLastUse, vmShapeLower,
  rewriteDataflowReshape, inlineFill, dedupeTIR,
].map((p) => [p.name, p]));
