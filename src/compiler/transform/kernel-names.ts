/**
 * Kernel (PrimFunc) names become exported symbols: C/CUDA functions and WGSL entry points. A kernel named after
 * its op can collide with a function of the C math library or a WGSL builtin (`sign`, `select`, `transpose`,
 * `clamp`...): inside the kernel a call to the builtin would then resolve to the kernel itself. Such names get a
 * suffix when kernels are named.
 */
const BUILTINS = new Set((
  // WGSL builtin functions (WGSL spec, "Built-in Functions").
  'abs acos acosh all any arrayLength asin asinh atan atan2 atanh bitcast ceil clamp cos cosh countLeadingZeros ' +
  'countOneBits countTrailingZeros cross degrees determinant distance dot dot4I8Packed dot4U8Packed exp exp2 ' +
  'extractBits faceForward firstLeadingBit firstTrailingBit floor fma fract frexp insertBits inverseSqrt ldexp ' +
  'length log log2 max min mix modf normalize pack2x16float pack2x16snorm pack2x16unorm pack4x8snorm pack4x8unorm ' +
  'pow quantizeToF16 radians reflect refract reverseBits round saturate select sign sin sinh smoothstep sqrt step ' +
  'storageBarrier tan tanh transpose trunc unpack2x16float unpack2x16snorm unpack2x16unorm unpack4x8snorm ' +
  'unpack4x8unorm workgroupBarrier workgroupUniformLoad ' +
  // C / CUDA math library and libc names a kernel could plausibly take.
  'cbrt copysign div erf erfc exp10 expm1 fabs fdim fmax fmin fmod hypot ilogb lgamma llrint llround log10 log1p ' +
  'logb lrint lround nan nearbyint nextafter remainder remquo rint scalbn signbit tgamma abort exit free malloc ' +
  'memcpy memset printf main rsqrt sincos'
).split(' '));

/** A kernel name that collides with no backend builtin. */
export function safeKernelName(name: string): string {
  return BUILTINS.has(name) ? `${name}_k` : name;
}
