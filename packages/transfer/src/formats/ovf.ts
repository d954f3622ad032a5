/**
 * The parts of an OVF descriptor that an import needs: the files it references and its disks.
 */
import { OvaFormatError } from './errors.js';
import { XmlSyntaxError, parseXml, type XmlElement } from './xml.js';

/** A `References/File` entry. */
export interface OvfFile {
  /** `ovf:id`. */
  readonly id: string;
  /** `ovf:href`: the file's name in the package (or a URL). */
  readonly href: string;
  /** `ovf:size` in bytes, when given. */
  readonly size: number | undefined;
  /** `ovf:compression` ("gzip"), when given. */
  readonly compression: string | undefined;
  /** `ovf:chunkSize`: the file is split into `href.000000000`, `href.000000001`, ... */
  readonly chunkSize: number | undefined;
}

/** A `DiskSection/Disk` entry. */
export interface OvfDisk {
  /** `ovf:diskId`. */
  readonly diskId: string;
  /** `ovf:fileRef`: the id of the {@link OvfFile} holding the disk; absent for a blank disk. */
  readonly fileRef: string | undefined;
  /** Capacity in bytes (`ovf:capacity` times `ovf:capacityAllocationUnits`), when it is a number. */
  readonly capacity: number | undefined;
  /** `ovf:capacity` verbatim (it may be a `${property}` reference). */
  readonly capacityText: string;
  /** `ovf:format`, e.g. `http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized`. */
  readonly format: string | undefined;
  /** True when the format URL names VMware's stream-optimized VMDK. */
  readonly streamOptimized: boolean;
  /** `ovf:populatedSize` in bytes, when given. */
  readonly populatedSize: number | undefined;
}

/** What {@link parseOvf} returns. */
export interface OvfDescriptor {
  /** The `References/File` entries, in order. */
  readonly files: readonly OvfFile[];
  /** The `DiskSection/Disk` entries, in order. */
  readonly disks: readonly OvfDisk[];
  /** The first `VirtualSystem`'s `ovf:id`, when there is one. */
  readonly virtualSystemId: string | undefined;
}

const OVF_NS = /^http:\/\/schemas\.dmtf\.org\/ovf\/envelope\/\d+$/;

/** OVF elements live in the OVF envelope namespace; elements without a namespace are accepted too. */
const isOvf = (e: XmlElement, name: string): boolean => e.name === name && (e.ns === '' || OVF_NS.test(e.ns));

/** An OVF attribute: `ovf:name`, or an unqualified `name` as some writers emit. */
function attr(e: XmlElement, name: string): string | undefined {
  return (e.attributes.find((a) => a.name === name && OVF_NS.test(a.ns)) ?? e.attributes.find((a) => a.name === name && a.ns === ''))?.value;
}

function bad(message: string): OvaFormatError {
  return new OvaFormatError('bad-ovf', message);
}

function bytesAttr(e: XmlElement, name: string): number | undefined {
  const v = attr(e, name);
  if (v === undefined) return undefined;
  if (!/^\d{1,16}$/.test(v.trim()) || !Number.isSafeInteger(Number(v))) throw bad(`${e.name} ${name}=${JSON.stringify(v)} is not a byte count`);
  return Number(v);
}

/** DMTF programmatic units: `byte`, `byte * 2^30`, `byte * 10^9`, `byte * 1024`. */
function unitMultiplier(units: string): number | undefined {
  const u = units.replace(/\s+/g, '').toLowerCase();
  if (u === 'byte' || u === 'bytes' || u === '') return 1;
  let m = /^bytes?\*(\d+)\^(\d+)$/.exec(u);
  if (m !== null) return Number(m[1]) ** Number(m[2]);
  m = /^bytes?\*(\d+)$/.exec(u);
  if (m !== null) return Number(m[1]);
  const named: Record<string, number> = { kilobytes: 1024, megabytes: 1024 ** 2, gigabytes: 1024 ** 3, terabytes: 1024 ** 4 };
  return named[u];
}

/**
 * Parses an OVF descriptor (OVF 1.x or 2.x) into its file references and disks.
 * @throws OvaFormatError `bad-ovf` when the XML is malformed, is not an OVF envelope, or a referenced
 *   number is not one.
 */
export function parseOvf(xml: string | Uint8Array): OvfDescriptor {
  const text = typeof xml === 'string' ? xml : Buffer.from(xml.buffer, xml.byteOffset, xml.byteLength).toString('utf8');
  let root: XmlElement;
  try {
    root = parseXml(text);
  } catch (err) {
    if (err instanceof XmlSyntaxError) throw new OvaFormatError('bad-ovf', `the OVF is not well-formed XML: ${err.message}`, { cause: err });
    throw err;
  }
  if (!isOvf(root, 'Envelope')) throw bad(`the OVF's root element is <${root.name}>, not an OVF Envelope`);
  const files: OvfFile[] = [];
  const disks: OvfDisk[] = [];
  let virtualSystemId: string | undefined;
  for (const section of root.children) {
    if (isOvf(section, 'References')) {
      for (const f of section.children.filter((c) => isOvf(c, 'File'))) {
        const id = attr(f, 'id');
        const href = attr(f, 'href');
        if (id === undefined || href === undefined) throw bad('a References/File lacks ovf:id or ovf:href');
        files.push({ id, href, size: bytesAttr(f, 'size'), compression: attr(f, 'compression'), chunkSize: bytesAttr(f, 'chunkSize') });
      }
    } else if (isOvf(section, 'DiskSection')) {
      for (const d of section.children.filter((c) => isOvf(c, 'Disk'))) {
        const diskId = attr(d, 'diskId');
        if (diskId === undefined) throw bad('a DiskSection/Disk lacks ovf:diskId');
        const capacityText = attr(d, 'capacity') ?? '';
        const multiplier = unitMultiplier(attr(d, 'capacityAllocationUnits') ?? 'byte');
        let capacity: number | undefined;
        if (/^\d{1,16}$/.test(capacityText.trim()) && multiplier !== undefined) {
          capacity = Number(capacityText) * multiplier;
          if (!Number.isSafeInteger(capacity)) throw bad(`disk ${diskId} capacity ${capacityText} is out of range`);
        }
        const format = attr(d, 'format');
        disks.push({
          diskId,
          fileRef: attr(d, 'fileRef'),
          capacity,
          capacityText,
          format,
          streamOptimized: format !== undefined && /#streamOptimized$/i.test(format),
          populatedSize: bytesAttr(d, 'populatedSize'),
        });
      }
    } else if (virtualSystemId === undefined && (isOvf(section, 'VirtualSystem') || isOvf(section, 'VirtualSystemCollection'))) {
      virtualSystemId = attr(section, 'id');
    }
  }
  return { files, disks, virtualSystemId };
}
