import { spawn } from 'node:child_process';

/** Runs a command to completion; rejects with (the end of) its stderr when it fails. `input` goes to its stdin. */
export function runCommand(command: string, args: readonly string[], input = '', env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    // A command that exits without reading its stdin closes the pipe: its exit code tells what happened.
    child.stdin.on('error', () => undefined);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${command} exited with ${code}: ${err.trim().slice(-2000)}`));
      resolve(out);
    });
    child.stdin.end(input);
  });
}

/** Runs a child process, feeding `input` on stdin, and parses the last line of its stdout as JSON. */
export async function runJson<T>(command: string, args: readonly string[], input = '', env: NodeJS.ProcessEnv = process.env): Promise<T> {
  const last = (await runCommand(command, args, input, env)).trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as T;
  } catch (cause) {
    throw new Error(`${command}: unexpected output ${JSON.stringify(last.slice(0, 200))}`, { cause });
  }
}
