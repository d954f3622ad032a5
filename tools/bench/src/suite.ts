import type { Figure } from './figure.js';

/** What a suite gets from the runner. */
export interface SuiteContext {
  /** Records one figure; the runner prints its JSON line at once and the table at the end. */
  emit(figure: Figure): void;
  /** Progress for people, on stderr. */
  log(message: string): void;
  /** Aborted on Ctrl-C: a suite stops its servers and peers and returns. */
  signal: AbortSignal;
}

/** A named benchmark suite, run by `npm run bench -- <name>`. */
export interface Suite {
  name: string;
  description: string;
  run(ctx: SuiteContext): Promise<void>;
}
