/**
 * A tiny raw-SOAP client for the harness's own integration tests. @vmkit/vim cannot be used here: its
 * tests depend on this package, so that would be a cycle. It sends hand-written request bodies and
 * reads answers with regular expressions, which is enough for tests that know what they asked for.
 * Not exported from the package.
 *
 * @internal
 */
import { request } from 'undici';

/** A managed object reference. */
export interface MoRef {
  type: string;
  value: string;
}

/** A SOAP fault answer, or a task that ended in error: `fault` is the VIM fault's wire name. */
export class SoapTestFault extends Error {
  constructor(
    readonly fault: string,
    message: string,
  ) {
    super(`${fault}: ${message}`);
    this.name = 'SoapTestFault';
  }
}

/** Escapes text for an XML element or attribute. */
export const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const unesc = (s: string): string =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

/** `<name type="T">value</name>`. */
export const refXml = (name: string, ref: MoRef): string => `<${name} type="${esc(ref.type)}">${esc(ref.value)}</${name}>`;

/** The first `<name ... type="T">value</name>` in an XML text (other attributes allowed). */
export function findRef(xml: string, name: string): MoRef | undefined {
  const m = new RegExp(`<${name}(?:\\s[^>]*?)?\\stype="([^"]+)"[^>]*>([^<]+)</${name}>`).exec(xml);
  return m === null ? undefined : { type: m[1]!, value: unesc(m[2]!) };
}

/** The text of the first `<name>...</name>` element (no attributes), if any. */
export function findText(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}(?:\\s[^>]*)?>([^<]*)</${name}>`).exec(xml);
  return m === null ? undefined : unesc(m[1]!);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A logged-in raw SOAP session against the simulator. */
export class TestSoap {
  private cookie: string | undefined;
  /** The service content's references (propertyCollector, searchIndex, virtualDiskManager, ...). */
  content: Record<string, MoRef> = {};

  private constructor(readonly url: string) {}

  /** `http://127.0.0.1:PORT`. */
  get origin(): string {
    return new URL(this.url).origin;
  }

  /** The session cookie header value, for /folder and /nfc requests. */
  get cookieHeader(): Record<string, string> {
    return this.cookie === undefined ? {} : { cookie: `vmware_soap_session=${this.cookie}` };
  }

  /** Reads the service content and logs in. */
  static async login(sim: { url: string; username: string; password: string }): Promise<TestSoap> {
    const s = new TestSoap(sim.url);
    const content = await s.call('RetrieveServiceContent', { type: 'ServiceInstance', value: 'ServiceInstance' });
    for (const m of content.matchAll(/<([A-Za-z]+) type="([A-Za-z]+)">([^<]+)<\/\1>/g)) s.content[m[1]!] = { type: m[2]!, value: m[3]! };
    await s.call('Login', s.content.sessionManager!, `<userName>${esc(sim.username)}</userName><password>${esc(sim.password)}</password>`);
    return s;
  }

  /** Calls a method; resolves with the answer's XML text, rejects with a {@link SoapTestFault}. */
  async call(method: string, self: MoRef, inner = '', namespace = 'urn:vim25'): Promise<string> {
    const body =
      '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
      'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soapenv:Body>' +
      `<${method} xmlns="${namespace}">${refXml('_this', self)}${inner}</${method}></soapenv:Body></soapenv:Envelope>`;
    const res = await request(this.url, {
      method: 'POST',
      headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: 'urn:vim25/6.7', ...this.cookieHeader },
      body,
    });
    const text = await res.body.text();
    const setCookie = res.headers['set-cookie'];
    for (const c of Array.isArray(setCookie) ? setCookie : setCookie === undefined ? [] : [setCookie]) {
      const m = /vmware_soap_session=([^;]+)/.exec(c);
      if (m !== null) this.cookie = m[1]!.replace(/^"|"$/g, '');
    }
    if (res.statusCode !== 200) {
      const fault = /<detail>\s*<([A-Za-z]+)Fault[\s>]/.exec(text)?.[1] ?? 'unknown';
      throw new SoapTestFault(fault, findText(text, 'faultstring') ?? `HTTP ${res.statusCode}`);
    }
    return text;
  }

  /** Calls a method that returns one managed object reference. */
  async ref(method: string, self: MoRef, inner = '', namespace?: string): Promise<MoRef> {
    const text = await this.call(method, self, inner, namespace);
    const r = findRef(text, 'returnval');
    if (r === undefined) throw new Error(`${method} returned no reference: ${text.slice(0, 500)}`);
    return r;
  }

  /** The XML of one property's value (`<val ...>...</val>`), or undefined when it is unset. */
  async property(obj: MoRef, path: string): Promise<string | undefined> {
    const text = await this.call(
      'RetrievePropertiesEx',
      this.content.propertyCollector!,
      `<specSet><propSet><type>${obj.type}</type><pathSet>${esc(path)}</pathSet></propSet>` +
        `<objectSet>${refXml('obj', obj)}</objectSet></specSet><options/>`,
    );
    const m = /<val[\s>][\s\S]*<\/val>/.exec(text);
    return m?.[0];
  }

  /** Waits for a task to end; resolves with its `info` XML, rejects with its fault. */
  async waitTask(task: MoRef): Promise<string> {
    for (;;) {
      const info = (await this.property(task, 'info')) ?? '';
      const state = findText(info, 'state');
      if (state === 'success') return info;
      if (state === 'error') {
        const fault = /<fault [A-Za-z-]*:type="([A-Za-z]+)"/.exec(info)?.[1] ?? 'unknown';
        throw new SoapTestFault(fault, findText(info, 'localizedMessage') ?? fault);
      }
      await sleep(20);
    }
  }

  /** Starts a task and waits for it; resolves with the task's result reference, if it has one. */
  async task(method: string, self: MoRef, inner = '', namespace?: string): Promise<{ info: string; result: MoRef | undefined }> {
    const info = await this.waitTask(await this.ref(method, self, inner, namespace));
    return { info, result: findRef(info, 'result') };
  }

  /** An inventory object by its path (`DC0`, `DC0/vm`, `DC0/datastore/LocalDS_0`, ...). */
  async byPath(path: string): Promise<MoRef> {
    return this.ref('FindByInventoryPath', this.content.searchIndex!, `<inventoryPath>${esc(path)}</inventoryPath>`);
  }

  /** A /folder URL of a datastore file. */
  folderUrl(datastore: string, path: string, dcPath = 'DC0'): string {
    const u = new URL(`/folder/${path.split('/').map(encodeURIComponent).join('/')}`, this.origin);
    u.searchParams.set('dcPath', dcPath);
    u.searchParams.set('dsName', datastore);
    return u.toString();
  }

  /** An NFC device URL with its `*` host replaced by this server. */
  deviceUrl(url: string): string {
    return url.replace(/^https?:\/\/\*(:\d+)?/, this.origin);
  }
}
