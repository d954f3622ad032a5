import { VimFaultError } from '@vmkit/vim';
import { parseCommandLine } from './args.js';
import type { Command } from './command.js';
import { attachCommands } from './commands/attach.js';
import { demoCommand } from './commands/demo.js';
import { imageCommands } from './commands/image.js';
import { simCommand } from './commands/sim.js';
import { snapshotCommands } from './commands/snapshot.js';
import { statsCommand } from './commands/stats.js';
import { volumeCommands } from './commands/volume.js';
import { UsageError } from './errors.js';
import { ExitCode } from './exit-codes.js';
import type { Io } from './output.js';

const commands: readonly Command[] = [demoCommand, ...volumeCommands, ...attachCommands, ...snapshotCommands, ...imageCommands, statsCommand, simCommand];

function help(group?: string): string {
  const shown = commands.filter((c) => group === undefined || c.name.startsWith(`${group} `));
  const width = Math.max(...shown.map((c) => c.name.length));
  return [
    `usage: vmkit ${group ?? '<command>'} ${group === undefined ? '' : '<command> '}[options]`,
    '',
    'commands:',
    ...shown.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'connection: --url URL --user USER (--password-file FILE | VMKIT_PASSWORD) [--ca PEM] [--insecure];',
    '            without --url, an embedded vCenter simulator is started and stopped around the command:',
    '            each invocation then sees a fresh inventory (what one command creates, the next does not see).',
    'output:     --json for machine-readable output, --debug for the whole cause chain of an error.',
    'volumes:    the backing VMs that carry a cinder.volume.id; the vCenter inventory is the only state.',
    '',
  ].join('\n');
}

/** Global options that take a value: their value is not a command word. */
const valueOptions = new Set(['--url', '--user', '--password-file', '--ca']);

/** The words of argv that are not options or the values of global options. */
function commandWords(argv: readonly string[]): { word: string; index: number }[] {
  const out: { word: string; index: number }[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (valueOptions.has(a)) i++;
    else if (!a.startsWith('-')) out.push({ word: a, index: i });
  }
  return out;
}

/** Finds the command named by the leading words of argv (longest match first). */
function findCommand(argv: readonly string[]): { command: Command; rest: string[] } | undefined {
  const words = commandWords(argv);
  for (const c of [...commands].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length)) {
    const parts = c.name.split(' ');
    if (parts.every((p, i) => words[i]?.word === p)) {
      const drop = new Set(parts.map((_, i) => words[i]!.index));
      return { command: c, rest: argv.filter((_, i) => !drop.has(i)) };
    }
  }
  return undefined;
}

/** The command groups (`volume`, `snapshot`, ...): their first word. */
const groups = new Set(commands.filter((c) => c.name.includes(' ')).map((c) => c.name.split(' ')[0]!));

/** The wire name of the first vSphere fault in an error's cause chain, if any. */
function faultNameIn(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  for (let e = err; e !== undefined && e !== null && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    if (e instanceof VimFaultError) return e.faultName;
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
  if (/_(ALREADY_EXISTS|DUPLICATE_NAME|FILE_LOCKED|INVALID_POWER_STATE|TASK_IN_PROGRESS|HAS_SNAPSHOTS|IN_USE|CONFLICT)$/.test(code)) return ExitCode.conflict;
  if (code === 'VMKIT_DRIVER_INVALID_VOLUME' || code === 'VMKIT_DRIVER_INVALID_SNAPSHOT') return ExitCode.conflict;
  if (code.startsWith('VMKIT_TRANSFER_')) return ExitCode.transferFailed;
  if (['VMKIT_CLI_USAGE', 'VMKIT_VIM_INVALID_URL', 'VMKIT_SESSION_INVALID_DATASTORE_PATH', 'VMKIT_DRIVER_INVALID_SPEC', 'VMKIT_DRIVER_INVALID_CONFIG'].includes(code)) return ExitCode.usage;
  if (/^VMKIT_(VIM|SESSION|DRIVER|CONNECTOR)_/.test(code)) return ExitCode.backendFault;
  return ExitCode.failure;
}

/**
 * Runs the command line `argv` (without the node and script paths) and resolves to the exit code.
 * Errors are printed as one line (plus the cause chain under `--debug`), never thrown.
 */
export async function main(argv: readonly string[], io: Io, signal: AbortSignal): Promise<number> {
  const found = findCommand(argv);
  const group = commandWords(argv)[0]?.word;
  if (found === undefined && group !== undefined && groups.has(group)) {
    const wantsHelp = argv.includes('--help') || argv.includes('-h') || commandWords(argv).length === 1;
    (wantsHelp ? io.stdout : io.stderr).write(help(group));
    if (!wantsHelp || commandWords(argv).length > 1) {
      io.stderr.write(`vmkit: unknown command ${JSON.stringify(commandWords(argv).slice(0, 2).map((w) => w.word).join(' '))}\n`);
      return ExitCode.usage;
    }
    return ExitCode.ok;
  }
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
    const fault = faultNameIn(e);
    const message = e.message.replace(/\s*\n\s*/g, ' ');
    const faultNote = fault === undefined || message.includes(fault) ? '' : ` (fault ${fault})`;
    io.stderr.write(`vmkit: ${message}${faultNote}${typeof code === 'string' ? ` [${code}]` : ''}\n`);
    if (debug) {
      const describe = (x: Error) => {
        const c = (x as { code?: unknown }).code;
        return `${x.name}${typeof c === 'string' ? ` [${c}]` : ''}: ${x.message}`;
      };
      const faultLine = (x: unknown) => {
        if (x instanceof VimFaultError) io.stderr.write(`    fault: ${x.faultChain.join(' < ')}\n`);
      };
      io.stderr.write(`  error: ${describe(e)}\n`);
      faultLine(e);
      for (let c: unknown = e.cause, depth = 0; c !== undefined && c !== null && depth < 20; c = (c as { cause?: unknown }).cause, depth++) {
        io.stderr.write(`  caused by: ${c instanceof Error ? describe(c) : JSON.stringify(c)}\n`);
        faultLine(c);
        if (!(c instanceof Error)) break;
      }
    }
    if (e instanceof UsageError) io.stderr.write(`usage: ${found.command.usage}\n`);
    // Whatever an interrupted command threw (the abort reason, a cancelled task), it was interrupted.
    if (signal.aborted) return ExitCode.interrupted;
    return exitCodeOf(e);
  }
}
