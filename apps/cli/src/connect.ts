import { readFile } from 'node:fs/promises';
import { VimSession } from '@vmkit/session';
import type { GlobalOptions } from './args.js';
import { startEmbeddedSimulator } from './embedded.js';
import { UsageError } from './errors.js';
import type { Io } from './output.js';

/** A session and what to do when the command is done with it. */
export interface Connection {
  session: VimSession;
  /** Where it is connected (the SDK URL), for messages. */
  url: string;
  /** True when the embedded simulator serves it. */
  embedded: boolean;
  /** The driver options (Cinder's names) that describe this connection; the password stays in here, never printed. */
  driverConfig: Readonly<Record<string, unknown>>;
  close(): Promise<void>;
}

/**
 * Opens a session to `--url` (password from `--password-file` or `VMKIT_PASSWORD`), or, without
 * `--url`, starts the embedded simulator and connects to it; `close()` logs out and stops it.
 */
export async function openConnection(global: GlobalOptions, io: Io, signal: AbortSignal): Promise<Connection> {
  if (global.url === undefined) {
    io.stderr.write('starting the embedded vCenter simulator (no --url given)\n');
    const sim = await startEmbeddedSimulator({ signal });
    try {
      const session = await VimSession.connect({ host: sim.url, username: sim.username, password: sim.password, signal });
      return {
        session,
        url: sim.url,
        embedded: true,
        driverConfig: { vmware_host_ip: sim.url, vmware_host_username: sim.username, vmware_host_password: sim.password },
        close: async () => {
          await session.close().catch(() => undefined);
          await sim.stop();
        },
      };
    } catch (err) {
      await sim.stop();
      throw err;
    }
  }
  if (global.user === undefined) throw new UsageError('--url needs --user');
  let password = io.env.VMKIT_PASSWORD;
  if (global.passwordFile !== undefined) {
    password = (await readFile(global.passwordFile, 'utf8')).split(/\r?\n/, 1)[0];
  }
  if (password === undefined || password === '') {
    throw new UsageError('no password: give --password-file FILE or set VMKIT_PASSWORD');
  }
  const ca = global.ca === undefined ? undefined : await readFile(global.ca, 'utf8');
  const session = await VimSession.connect({
    host: global.url,
    username: global.user,
    password,
    ...(ca === undefined ? {} : { ca }),
    insecure: global.insecure,
    signal,
  });
  return {
    session,
    url: global.url,
    embedded: false,
    driverConfig: {
      vmware_host_ip: global.url,
      vmware_host_username: global.user,
      vmware_host_password: password,
      ...(global.ca === undefined ? {} : { vmware_ca_file: global.ca }),
      vmware_insecure: global.insecure,
    },
    close: () => session.close(),
  };
}
