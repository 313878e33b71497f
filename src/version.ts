/** The compiler version recorded in manifests and cache keys (kept in step with package.json by a test). */
export const VERSION = '0.1.0';
