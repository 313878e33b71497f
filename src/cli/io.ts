import { fs } from '../builtins.js';

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

/** process.stdout/stderr with a closed pipe (`relax pipeline ... | head`) ending the process quietly, not with a stack. */
function guard(s: NodeJS.WriteStream): NodeJS.WriteStream {
  if (!guarded.has(s)) {
    guarded.add(s);
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  return s;
}

/** Whether fd is a terminal. Only a character device can be one; tty is loaded just to ask about those. */
function isTerminal(fd: number): boolean {
  try {
    return fs.fstatSync(fd).isCharacterDevice() && process.getBuiltinModule('node:tty').isatty(fd);
  } catch {
    return false;
  }
}

/**
 * Writes to fd 1 or 2 directly (synchronously, as process.stdout/stderr do for files, pipes and terminals on
 * Linux and macOS). Creating process.stdout costs 5-10 ms of a no-op build's budget (the net, tty and stream
 * modules), for the dozen lines a build prints. Should the fd be non-blocking and full (EAGAIN), the rest of the
 * output goes through the stream, in order. On Windows the streams are used from the start.
 */
export function fdWriter(fd: 1 | 2, get: () => NodeJS.WriteStream, writeSync: (fd: number, buf: Uint8Array, offset: number) => number = fs.writeSync): CliIO['stdout'] {
  let stream: NodeJS.WriteStream | undefined;
  const viaStream = process.platform === 'win32';
  let tty: boolean | undefined;
  return {
    write(chunk: string) {
      if (viaStream || stream) return (stream ??= guard(get())).write(chunk);
      const buf = Buffer.from(chunk);
      let at = 0;
      try {
        while (at < buf.length) at += writeSync(fd, buf, at);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') process.exit(process.exitCode ?? 0);
        if (code !== 'EAGAIN') throw e;
        stream = guard(get());
        return stream.write(buf.subarray(at));
      }
      return true;
    },
    get isTTY() {
      return (tty ??= viaStream ? get().isTTY : isTerminal(fd));
    },
  };
}

export function defaultIO(): CliIO {
  return { stdout: fdWriter(1, () => process.stdout), stderr: fdWriter(2, () => process.stderr), cwd: process.cwd(), env: process.env };
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
