import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';

/** Options every command accepts: how to reach vSphere and how to print. */
export interface GlobalOptions {
  /** vCenter or ESX SDK URL; without it the embedded simulator is started. */
  url: string | undefined;
  user: string | undefined;
  /** A file whose first line is the password (the password itself is never a flag value). */
  passwordFile: string | undefined;
  /** A PEM file of CA certificates to trust. */
  ca: string | undefined;
  /** Turn TLS verification off (only when asked). */
  insecure: boolean;
  json: boolean;
  debug: boolean;
}

const globalConfig = {
  url: { type: 'string' },
  user: { type: 'string' },
  'password-file': { type: 'string' },
  ca: { type: 'string' },
  insecure: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  debug: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

/** The parsed command line: global options, the command words, the command's own options. */
export interface ParsedCommandLine<O> {
  global: GlobalOptions;
  help: boolean;
  positionals: string[];
  options: O;
}

/**
 * Parses `argv` with the global options and a command's own options, strictly: an unknown option, a
 * missing value or a `--password` flag is a {@link UsageError}.
 */
export function parseCommandLine<C extends NonNullable<ParseArgsConfig['options']>>(
  argv: readonly string[],
  commandOptions: C,
): ParsedCommandLine<ReturnType<typeof parseArgs<{ options: C; allowPositionals: true; strict: true; args: string[] }>>['values']> {
  if (argv.some((a) => a === '--password' || a.startsWith('--password='))) {
    throw new UsageError('passwords are not taken as flag values: use --password-file FILE or the VMKIT_PASSWORD environment variable');
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...globalConfig, ...commandOptions },
      allowPositionals: true,
      strict: true,
    });
  } catch (cause) {
    throw new UsageError(cause instanceof Error ? cause.message : String(cause), { cause });
  }
  const v = parsed.values as Record<string, unknown>;
  const global: GlobalOptions = {
    url: v.url as string | undefined,
    user: v.user as string | undefined,
    passwordFile: v['password-file'] as string | undefined,
    ca: v.ca as string | undefined,
    insecure: v.insecure === true,
    json: v.json === true,
    debug: v.debug === true,
  };
  return { global, help: v.help === true, positionals: parsed.positionals, options: parsed.values as never };
}

/** Parses a positive decimal integer option, or throws a {@link UsageError} naming the option. */
export function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`--${name} must be a positive whole number, not ${JSON.stringify(value)}`);
  }
  return Number(value);
}
