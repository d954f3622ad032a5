import { execFile } from 'node:child_process';
import { CommandFailedError } from './errors.js';

/** What a host command printed, and its exit code. */
export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Options of one command run by a {@link CommandExecutor}. */
export interface CommandOptions {
  signal?: AbortSignal;
  /** Give up (and kill the program) after this many milliseconds. */
  timeoutMs?: number;
}

/**
 * Runs a host command (program and arguments, no shell) and resolves with its exit code and output,
 * whatever the exit code; rejects only when the program could not be run at all. Connectors take one
 * so that tests (and hosts with a root helper) can put their own in its place.
 */
export type CommandExecutor = (program: string, args: readonly string[], options?: CommandOptions) => Promise<CommandResult>;

/** Options of {@link createCommandExecutor}. */
export interface CommandExecutorOptions {
  /** A prefix that runs the command as root, e.g. `['sudo', '-n']` (os-brick's `root_helper`). Default none. */
  rootHelper?: readonly string[];
}

/**
 * The executor that runs commands on this host with `execFile` (no shell), optionally behind a root
 * helper. A program that cannot be started is a {@link CommandFailedError} without an exit code.
 */
export function createCommandExecutor(options: CommandExecutorOptions = {}): CommandExecutor {
  const prefix = options.rootHelper ?? [];
  return (program, args, opts = {}) =>
    new Promise((resolve, reject) => {
      const [file, ...rest] = [...prefix, program, ...args] as [string, ...string[]];
      execFile(
        file,
        rest,
        { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, ...(opts.signal === undefined ? {} : { signal: opts.signal }), ...(opts.timeoutMs === undefined ? {} : { timeout: opts.timeoutMs }) },
        (err, stdout, stderr) => {
          if (err === null) return resolve({ exitCode: 0, stdout, stderr });
          const code = (err as { code?: unknown }).code;
          if (typeof code === 'number') return resolve({ exitCode: code, stdout, stderr });
          // Not started (ENOENT, EACCES), killed by a signal, aborted or timed out. Node's message holds the
          // whole command line (arguments may be secrets), so only the reason travels on.
          const e = err as { code?: unknown; signal?: unknown; killed?: boolean };
          const reason = typeof e.code === 'string' ? e.code : typeof e.signal === 'string' ? `killed by ${e.signal}` : 'failed';
          reject(new CommandFailedError([program], undefined, stderr, { cause: new Error(`${program}: ${reason}`) }));
        },
      );
    });
}
