// A tiny raw-SOAP client for the harness's own tests: tools/vcsim cannot use @vmkit/vim (whose tests
// use this package). Bodies are written by hand; answers are read with regular expressions.
import { Agent, request } from 'undici';
import type { Simulator } from './simulator.js';

/** An answer: HTTP status and body text. */
export interface SoapAnswer {
  status: number;
  body: string;
}

const envelope = (inner: string, header = ''): string =>
  '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">' +
  (header === '' ? '' : `<soapenv:Header>${header}</soapenv:Header>`) +
  `<soapenv:Body>${inner}</soapenv:Body></soapenv:Envelope>`;

/** Escapes text for an XML element's content. */
export const xmlText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A SOAP session against a simulator: `login()` keeps the session cookie for later calls. */
export class RawSoap {
  readonly agent = new Agent({ connections: 4 });
  cookie: string | undefined;
  constructor(readonly sim: Simulator) {}

  /** Posts one method body (what goes inside soapenv:Body) to /sdk, or to /pbm with `pbm`. */
  async call(inner: string, options: { pbm?: boolean; header?: string; cookie?: string | null } = {}): Promise<SoapAnswer> {
    const cookie = options.cookie === undefined ? this.cookie : (options.cookie ?? undefined);
    const res = await request(options.pbm === true ? this.sim.pbmUrl : this.sim.url, {
      method: 'POST',
      headers: {
        'content-type': 'text/xml; charset=utf-8',
        soapaction: options.pbm === true ? 'urn:pbm/2.0' : 'urn:vim25/6.7',
        ...(cookie === undefined ? {} : { cookie: `vmware_soap_session=${cookie}` }),
      },
      body: envelope(inner, options.header),
      dispatcher: this.agent,
    });
    const setCookie = res.headers['set-cookie'];
    const first = Array.isArray(setCookie) ? setCookie[0] : setCookie;
    const m = first === undefined ? null : /vmware_soap_session="?([^";]+)"?/.exec(first);
    if (m !== null) this.cookie = m[1];
    return { status: res.statusCode, body: await res.body.text() };
  }

  /** Logs in with the simulator's credentials. */
  async login(): Promise<void> {
    const a = await this.call(
      `<Login xmlns="urn:vim25"><_this type="SessionManager">SessionManager</_this><userName>${this.sim.username}</userName>` +
        `<password>${xmlText(this.sim.password)}</password></Login>`,
    );
    if (a.status !== 200 || this.cookie === undefined) throw new Error(`login failed: ${a.status} ${a.body.slice(0, 300)}`);
  }

  /** RetrievePropertiesEx of some properties of every object of a type under the root folder (a container view). */
  async retrieveAll(type: string, paths: string[], maxObjects?: number): Promise<SoapAnswer> {
    const view = await this.call(
      `<CreateContainerView xmlns="urn:vim25"><_this type="ViewManager">ViewManager</_this><container type="Folder">group-d1</container>` +
        `<type>${type}</type><recursive>true</recursive></CreateContainerView>`,
    );
    const ref = /<returnval type="ContainerView">([^<]+)</.exec(view.body)?.[1];
    if (ref === undefined) throw new Error(`CreateContainerView failed: ${view.body.slice(0, 300)}`);
    return this.call(
      `<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">propertyCollector</_this><specSet>` +
        `<propSet><type>${type}</type>${paths.map((p) => `<pathSet>${xmlText(p)}</pathSet>`).join('')}</propSet>` +
        `<objectSet><obj type="ContainerView">${ref}</obj><skip>true</skip><selectSet xsi:type="TraversalSpec"><name>view</name>` +
        `<type>ContainerView</type><path>view</path><skip>false</skip></selectSet></objectSet></specSet>` +
        `<options>${maxObjects === undefined ? '' : `<maxObjects>${maxObjects}</maxObjects>`}</options></RetrievePropertiesEx>`,
    );
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** The morefs of the objects in a RetrieveResult, in order. */
export const objectRefs = (body: string): string[] => [...body.matchAll(/<objects><obj type="[^"]+">([^<]+)<\/obj>/g)].map((m) => m[1]!);

/** The paging token of a RetrieveResult, if any. */
export const tokenOf = (body: string): string | undefined => /<token>([^<]+)<\/token>/.exec(body)?.[1];

/** The wire name of the fault in a SOAP fault answer, if any. */
export const faultOf = (a: SoapAnswer): string | undefined =>
  a.status === 500 ? /<detail>\s*<\w+ [^>]*xsi:type="([^"]+)"/.exec(a.body)?.[1] : undefined;
