import { parseCommandLine } from './args.js';
import type { Command } from './command.js';
import { demoCommand } from './commands/demo.js';
import { simCommand } from './commands/sim.js';
import { UsageError } from './errors.js';
import { ExitCode } from './exit-codes.js';
import type { Io } from './output.js';

const commands: readonly Command[] = [demoCommand, simCommand];

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'usage: vmkit <command> [options]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'connection: --url URL --user USER (--password-file FILE | VMKIT_PASSWORD) [--ca PEM] [--insecure];',
    '            without --url, an embedded vCenter simulator is started and stopped around the command.',
    'output:     --json for machine-readable output, --debug for the whole cause chain of an error.',
    '',
  ].join('\n');
}

/** Finds the command named by the leading words of argv (longest match first). */
function findCommand(argv: readonly string[]): { command: Command; rest: string[] } | undefined {
  const words = argv.filter((a) => !a.startsWith('-'));
  for (const c of [...commands].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length)) {
    const parts = c.name.split(' ');
    if (parts.every((p, i) => words[i] === p)) {
      const rest = [...argv];
      for (const p of parts) rest.splice(rest.indexOf(p), 1);
      return { command: c, rest };
    }
  }
  return undefined;
}

/** Maps an error to an exit code by its stable `code`. */
export function exitCodeOf(err: unknown): number {
  const code = (err as { code?: unknown } | null)?.code;
  if (err instanceof UsageError) return ExitCode.usage;
  if (typeof code !== 'string') return ExitCode.failure;
  if (code === 'ABORT_ERR' || code === 'VMKIT_VIM_ABORTED') return ExitCode.interrupted;
  if (/_(NOT_FOUND|MANAGED_OBJECT_NOT_FOUND)$/.test(code)) return ExitCode.notFound;
  if (/_(ALREADY_EXISTS|DUPLICATE_NAME|FILE_LOCKED|INVALID_POWER_STATE|TASK_IN_PROGRESS|HAS_SNAPSHOTS|IN_USE)$/.test(code)) return ExitCode.conflict;
  if (code.startsWith('VMKIT_TRANSFER_')) return ExitCode.transferFailed;
  if (code === 'VMKIT_CLI_USAGE' || code === 'VMKIT_VIM_INVALID_URL' || code === 'VMKIT_SESSION_INVALID_DATASTORE_PATH') return ExitCode.usage;
  if (code.startsWith('VMKIT_VIM_') || code.startsWith('VMKIT_SESSION_')) return ExitCode.backendFault;
  return ExitCode.failure;
}

/**
 * Runs the command line `argv` (without the node and script paths) and resolves to the exit code.
 * Errors are printed as one line (plus the cause chain under `--debug`), never thrown.
 */
export async function main(argv: readonly string[], io: Io, signal: AbortSignal): Promise<number> {
  const found = findCommand(argv);
  if (found === undefined) {
    const wantsHelp = argv.length === 0 || argv.includes('--help') || argv.includes('-h') || argv[0] === 'help';
    (wantsHelp ? io.stdout : io.stderr).write(help());
    if (!wantsHelp) io.stderr.write(`vmkit: unknown command ${JSON.stringify(argv.find((a) => !a.startsWith('-')) ?? '')}\n`);
    return wantsHelp ? ExitCode.ok : ExitCode.usage;
  }
  let debug = argv.includes('--debug');
  try {
    const parsed = parseCommandLine(found.rest, found.command.options);
    debug = parsed.global.debug;
    if (parsed.help) {
      io.stdout.write(`usage: ${found.command.usage}\n${found.command.summary}\n`);
      return ExitCode.ok;
    }
    return await found.command.run({
      io,
      global: parsed.global,
      positionals: parsed.positionals,
      options: parsed.options as never,
      signal,
    });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    const code = (e as { code?: unknown }).code;
    io.stderr.write(`vmkit: ${e.message}${typeof code === 'string' ? ` [${code}]` : ''}\n`);
    if (debug) {
      for (let c: unknown = e.cause; c !== undefined; c = (c as { cause?: unknown }).cause) {
        io.stderr.write(`  caused by: ${c instanceof Error ? `${c.name}: ${c.message}` : JSON.stringify(c)}\n`);
        if (!(c instanceof Error)) break;
      }
    }
    if (e instanceof UsageError) io.stderr.write(`usage: ${found.command.usage}\n`);
    return exitCodeOf(e);
  }
}
