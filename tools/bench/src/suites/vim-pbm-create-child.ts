// Child process of the vim suite's client-creation figure: from a cold process (modules not yet loaded),
// the time until a PBM client is ready to send its first call, and nothing sent. For vmkit that is
// loading @vmkit/vim (its generated tables) and creating a VimClient (version given, so no round trip)
// with a PbmClient on it; for `soap` it is loading the package and building a client from VMware's PBM
// WSDL (python3-oslo.vmware's copy, parsed with its cache disabled). Prints {"ms": N}.
//
//   node dist/suites/vim-pbm-create-child.js vmkit|soap <sdk-url> <wsdl>
import { performance } from 'node:perf_hooks';

const [impl, url, wsdl] = process.argv.slice(2);
if (impl === undefined || url === undefined || wsdl === undefined) throw new Error('usage: vim-pbm-create-child vmkit|soap <sdk-url> <wsdl>');
const t0 = performance.now();
if (impl === 'vmkit') {
  const { defaultSchema, PbmClient, VimClient } = await import('@vmkit/vim');
  const client = await VimClient.create({ url, schema: defaultSchema, version: '6.7' });
  const pbm = new PbmClient(client);
  const ms = performance.now() - t0;
  void pbm;
  await client.close();
  process.stdout.write(`${JSON.stringify({ ms })}\n`);
} else if (impl === 'soap') {
  const soap = await import('soap');
  const client = await soap.createClientAsync(wsdl, { endpoint: new URL('/pbm', url).href, disableCache: true });
  const ms = performance.now() - t0;
  void client;
  process.stdout.write(`${JSON.stringify({ ms })}\n`);
} else {
  throw new Error(`unknown implementation ${impl}`);
}
