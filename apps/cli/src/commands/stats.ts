import { withBackend } from '../backend.js';
import type { Command } from '../command.js';
import { writeJson } from '../output.js';
import { renderKeyValues } from '../present.js';
import { positionals } from './volume.js';

/** `vmkit stats`: the driver's volume stats (Cinder's `get_volume_stats`) and how many volumes there are. */
export const statsCommand: Command = {
  name: 'stats',
  summary: "the backend's capacity and free space (the driver's volume stats) and the number of volumes",
  usage: 'vmkit stats [--json]',
  options: {},
  async run(ctx) {
    positionals(ctx, []);
    const result = await withBackend(ctx, async (b) => {
      const stats = await b.driver.getVolumeStats();
      const volumes = (await b.list()).length;
      return { ...stats, volumes };
    });
    if (ctx.global.json) writeJson(ctx.io, result);
    else ctx.io.stdout.write(renderKeyValues(Object.entries(result)));
    return 0;
  },
};

