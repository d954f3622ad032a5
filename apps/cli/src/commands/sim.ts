import type { Command } from '../command.js';
import { positiveInt } from '../args.js';
import { startEmbeddedSimulator } from '../embedded.js';
import { writeJson } from '../output.js';

/** `vmkit sim`: starts the embedded simulator, prints where it listens, serves until interrupted. */
export const simCommand: Command = {
  name: 'sim',
  summary: 'start the embedded vCenter simulator and print its URL (until Ctrl-C)',
  usage: 'vmkit sim [--model vpx|esx] [--vms N] [--tls] [--json]',
  options: {
    model: { type: 'string' },
    vms: { type: 'string' },
    tls: { type: 'boolean', default: false },
  },
  async run({ io, global, options, signal }) {
    const model = options.model as string | undefined;
    if (model !== undefined && model !== 'vpx' && model !== 'esx') {
      const { UsageError } = await import('../errors.js');
      throw new UsageError(`--model must be vpx or esx, not ${JSON.stringify(model)}`);
    }
    const sim = await startEmbeddedSimulator({
      ...(model === undefined ? {} : { model }),
      ...(options.vms === undefined ? {} : { vms: positiveInt('vms', options.vms as string) }),
      tls: options.tls === true,
      signal,
    });
    try {
      const { url, pbmUrl, username, password, certificate, pid } = sim;
      if (global.json) writeJson(io, { url, pbmUrl, username, password, certificate, pid });
      else {
        io.stdout.write(`vCenter simulator at ${url} (user ${username}, password ${password}); PBM at ${pbmUrl}\n`);
        if (certificate !== undefined) io.stdout.write(certificate);
        io.stderr.write('serving until Ctrl-C\n');
      }
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener('abort', () => resolve(), { once: true });
      });
    } finally {
      await sim.stop();
    }
    return 0;
  },
};
