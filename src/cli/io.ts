/** What commands talk to: injectable for tests (main(argv, io)). */
export interface CliIO {
  readonly stdout: { write(s: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(s: string): unknown };
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Compiler worker module override (tests use a fixture worker). */
  readonly workerModule?: string;
  /** Ends `build --watch` (tests); otherwise SIGINT/SIGTERM do. */
  readonly signal?: AbortSignal;
}

const guarded = new WeakSet<NodeJS.WriteStream>();

/**
 * process.stdout/stderr, touched only when first used (creating one costs a few ms of a no-op build's budget,
 * and `--json` builds usually never write to stderr). `relax pipeline ... | head`: a closed pipe ends the process
 * quietly instead of with a stack.
 */
function lazyStream(get: () => NodeJS.WriteStream): CliIO['stdout'] {
  const stream = (): NodeJS.WriteStream => {
    const s = get();
    if (!guarded.has(s)) {
      guarded.add(s);
      s.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
        throw e;
      });
    }
    return s;
  };
  return {
    write: (chunk: string) => stream().write(chunk),
    get isTTY() {
      return stream().isTTY;
    },
  };
}

export function defaultIO(): CliIO {
  return { stdout: lazyStream(() => process.stdout), stderr: lazyStream(() => process.stderr), cwd: process.cwd(), env: process.env };
}

export type OutputMode = 'tty' | 'plain' | 'json';

/** NDJSON with --json; a live progress line only on a TTY outside CI; plain lines otherwise. */
export function outputMode(io: CliIO, json: boolean): OutputMode {
  if (json) return 'json';
  const ci = io.env.CI !== undefined && io.env.CI !== '' && io.env.CI !== '0' && io.env.CI !== 'false';
  return io.stdout.isTTY && !ci && io.env.TERM !== 'dumb' ? 'tty' : 'plain';
}

export const line = (w: { write(s: string): unknown }, s = ''): void => {
  w.write(`${s}\n`);
};
