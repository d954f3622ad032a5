// Child process of the vim suite's memory figure: streams a saved RetrievePropertiesEx response from disk
// through @vmkit/vim's streaming decoder in 64 KiB pieces, as the transport feeds it from the socket,
// keeps the decoded result alive, and prints one JSON line with the process's resident set sizes (MiB):
// before decoding (after the schema is warm) and the peak.
//
//   node dist/suites/vim-rss-child.js <response.xml>
import { isUtf8 } from 'node:buffer';
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
// As the transport does: each piece cut after its last whole character, checked to be UTF-8 and turned
// into text (the bytes of a character cut in two go with the next piece).
let carry: Buffer | undefined;
for await (const chunk of createReadStream(file, { highWaterMark: 64 * 1024 })) {
  const bytes = carry === undefined ? (chunk as Buffer) : Buffer.concat([carry, chunk as Buffer]);
  let end = bytes.length;
  while (end > 0 && bytes.length - end < 3 && (bytes[end - 1]! & 0xc0) === 0x80) end--;
  if (end > 0 && bytes[end - 1]! >= 0xc0) end--;
  else if (end < bytes.length) end = bytes.length;
  carry = end < bytes.length ? Buffer.from(bytes.subarray(end)) : undefined;
  const piece = bytes.subarray(0, end);
  if (!isUtf8(piece)) throw new Error('the response is not UTF-8');
  decoder.write(piece.toString('utf8'));
}
if (carry !== undefined) throw new Error('the response ends inside a character');
const result = decoder.end() as { objects: unknown[] };
const peak = process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB
process.stdout.write(
  `${JSON.stringify({ bytes: statSync(file).size, objects: result.objects.length, baselineMiB: baseline, peakMiB: peak, heapUsedMiB: process.memoryUsage().heapUsed / MiB })}\n`,
);
