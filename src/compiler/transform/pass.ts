/** Passes are functions over plain modules, registered by name; a pipeline is an ordered list of names. */
import type { Target } from '../../formats/manifest.js';
import type { IRModule } from '../ir/types.js';

export interface PassContext {
  readonly target: Target;
  readonly model: string;
  /** Records a fact for the build log (e.g. which rule scheduled which kernel). */
  note(kind: string, data: Readonly<Record<string, string>>): void;
}

export interface Pass {
  readonly name: string;
  /** One line for `relax pipeline`. */
  readonly description: string;
  run(mod: IRModule, ctx: PassContext): IRModule;
}
