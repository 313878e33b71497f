/** `relax build`: exit 0 when every job built, 1 when any failed, 2 for usage or config errors. */
import { parseArgs } from 'node:util';
import { build } from '../scheduler/build.js';
import { watch } from '../scheduler/watch.js';
import { humanListener, printJsonEvent } from './output.js';
import { usageError } from './usage.js';

export async function buildCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv, allowPositionals: false, strict: true,
      options: {
        config: { type: 'string' }, json: { type: 'boolean' }, jobs: { type: 'string' },
        filter: { type: 'string', multiple: true }, force: { type: 'boolean' }, watch: { type: 'boolean' },
      },
    }));
  } catch (e) {
    throw usageError((e as Error).message);
  }
  let jobs: number | undefined;
  if (values.jobs !== undefined) {
    jobs = Number(values.jobs);
    if (!Number.isInteger(jobs) || jobs < 1) throw usageError(`--jobs must be a positive integer, got '${values.jobs}'`);
  }
  const onEvent = values.json ? printJsonEvent : humanListener();
  const options = {
    ...(values.config ? { config: values.config } : {}),
    ...(values.filter ? { filter: values.filter } : {}),
    ...(jobs ? { jobs } : {}),
    force: Boolean(values.force),
    onEvent,
  };
  if (values.watch) {
    const handle = await watch(options);
    await new Promise<void>((resolve) => {
      const stop = () => { void handle.close().then(resolve); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  }
  const summary = await build(options);
  return summary.failed > 0 ? 1 : 0;
}
