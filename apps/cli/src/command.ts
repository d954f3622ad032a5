import type { ParseArgsConfig } from 'node:util';
import type { GlobalOptions } from './args.js';
import type { Io } from './output.js';

/** What a command's `run` receives. */
export interface CommandContext {
  io: Io;
  global: GlobalOptions;
  /** The words after the command's name. */
  positionals: string[];
  /** The command's own options as parsed. */
  options: Record<string, string | boolean | string[] | boolean[] | undefined>;
  /** Aborted on SIGINT/SIGTERM: a command stops, cleans up what it started, and returns. */
  signal: AbortSignal;
}

/** One `vmkit` command (a word, or two words such as `volume create`). */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(ctx: CommandContext): Promise<number>;
}
