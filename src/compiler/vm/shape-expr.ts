/** TIR int expressions → the VM's ShapeExpr format: one converter, shared with the backends' kernel info. */
export { toShapeExpr } from '../../backends/kernel-info.js';
