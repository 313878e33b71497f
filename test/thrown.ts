/** The diagnostic of the RelaxError `fn` throws (anything else thrown, or nothing, fails the test). */
import { isRelaxError, type Diagnostic } from '../src/diagnostics/index.js';

export function thrown(fn: () => unknown): Diagnostic {
  try {
    fn();
  } catch (e) {
    if (isRelaxError(e)) return e.diagnostic;
    throw e;
  }
  throw new Error('expected a RelaxError');
}
