// Child process of the vim suite's memory figure: streams a saved RetrievePropertiesEx response from disk
// through @vmkit/vim's streaming decoder in 64 KiB pieces, as the transport feeds it from the socket,
// keeps the decoded result alive, and prints one JSON line with the process's resident set sizes (MiB):
// before decoding (after the schema is warm) and the peak.
//
//   node dist/suites/vim-rss-child.js <response.xml>
import { createReadStream, statSync } from 'node:fs';
import { decodeResponse, defaultSchema, ResponseDecoder } from '@vmkit/vim';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: vim-rss-child <response.xml>');

// Warm the schema tables the decode will touch, so that the baseline includes them.
decodeResponse(
  defaultSchema,
  'RetrievePropertiesEx',
  '<Envelope><Body><RetrievePropertiesExResponse><returnval><objects><obj type="VirtualMachine">vm-1</obj></objects></returnval></RetrievePropertiesExResponse></Body></Envelope>',
);
const MiB = 1024 * 1024;
const baseline = process.memoryUsage.rss() / MiB;
const decoder = new ResponseDecoder(defaultSchema, 'RetrievePropertiesEx');
const text = new TextDecoder('utf-8', { fatal: true });
for await (const chunk of createReadStream(file, { highWaterMark: 64 * 1024 })) {
  decoder.write(text.decode(chunk as Buffer, { stream: true }));
}
decoder.write(text.decode());
const result = decoder.end() as { objects: unknown[] };
const peak = process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB
process.stdout.write(
  `${JSON.stringify({ bytes: statSync(file).size, objects: result.objects.length, baselineMiB: baseline, peakMiB: peak, heapUsedMiB: process.memoryUsage().heapUsed / MiB })}\n`,
);
