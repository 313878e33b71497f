/**
 * Elementwise and broadcasting graph ops (numpy broadcasting). The definitions live in elementwise-unary.ts
 * (math functions, activations, predicates, identity), elementwise-binary.ts (arithmetic, variadic, logical,
 * comparison, where) and elementwise-misc.ts (cast, clip, full_like); elementwise-build.ts has the shared builder.
 */
import { BINARY_OPS } from './elementwise-binary.js';
import { MISC_OPS } from './elementwise-misc.js';
import { UNARY_OPS } from './elementwise-unary.js';
import type { OpDef } from './registry.js';

export const ELEMENTWISE_OPS: readonly OpDef[] = [...UNARY_OPS, ...BINARY_OPS, ...MISC_OPS];
