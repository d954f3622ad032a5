import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DatastorePath, DatastoreURL } from './datastore-path.js';
import { InvalidDatastorePathError } from './errors.js';

describe('DatastorePath', () => {
  it('parses and prints the vSphere form', () => {
    const p = DatastorePath.parse('[datastore1] vol-1/vol-1.vmdk');
    expect(p.datastore).toBe('datastore1');
    expect(p.relPath).toBe('vol-1/vol-1.vmdk');
    expect(p.basename).toBe('vol-1.vmdk');
    expect(p.dirname).toBe('vol-1');
    expect(p.parent.toString()).toBe('[datastore1] vol-1');
    expect(p.parent.parent.toString()).toBe('[datastore1]');
    expect(p.parent.parent.parent.toString()).toBe('[datastore1]');
    expect(String(p)).toBe('[datastore1] vol-1/vol-1.vmdk');
  });

  it('handles spaces, brackets in the path, unicode and missing parts', () => {
    expect(DatastorePath.parse('  [my ds]   a b/c [1].vmdk ').toString()).toBe('[my ds] a b/c [1].vmdk');
    expect(DatastorePath.parse('[ds]').relPath).toBe('');
    expect(DatastorePath.parse('[ds]file').relPath).toBe('file');
    expect(DatastorePath.parse('[données] répertoire/卷.vmdk').basename).toBe('卷.vmdk');
    expect(new DatastorePath('ds', 'a//b/', './c').relPath).toBe('a/b/c');
  });

  it('joins as POSIX paths do', () => {
    const base = new DatastorePath('ds', '_base');
    expect(base.join('img', 'img.vmdk').toString()).toBe('[ds] _base/img/img.vmdk');
    expect(base.join('/top', 'x').toString()).toBe('[ds] top/x');
    expect(new DatastorePath('ds').join('').toString()).toBe('[ds]');
  });

  it('compares by datastore and normalised path', () => {
    expect(DatastorePath.parse('[ds] a/b').equals(new DatastorePath('ds', 'a', 'b/'))).toBe(true);
    expect(DatastorePath.parse('[ds] a/b').equals(DatastorePath.parse('[ds2] a/b'))).toBe(false);
    expect(DatastorePath.parse('[ds] a/b').equals(DatastorePath.parse('[ds] a/B'))).toBe(false);
  });

  it.each(['', 'ds] a', '[ds a', 'ds', '[] a', '[ds] a/../b', '[ds] a\0b', '[ds] ../x'])('rejects %j', (text) => {
    expect(() => DatastorePath.parse(text)).toThrow(InvalidDatastorePathError);
    expect(DatastorePath.tryParse(text)).toBeUndefined();
  });

  it('refuses a "]" in a datastore name it is asked to build', () => {
    expect(() => new DatastorePath('a]b', 'x')).toThrow(/contains "]"/);
  });

  it('survives print then parse for any name and segments', () => {
    const name = fc.string({ minLength: 1 }).filter((s) => !s.includes(']') && s.trim() === s && s !== '' && !s.includes('\0'));
    const seg = fc.string({ minLength: 1 }).filter((s) => !s.includes('/') && s !== '.' && s !== '..' && !s.includes('\0') && s.trim() === s);
    fc.assert(
      fc.property(name, fc.array(seg, { maxLength: 5 }), (ds, segs) => {
        const p = new DatastorePath(ds, ...segs);
        const q = DatastorePath.parse(p.toString());
        expect(q.equals(p)).toBe(true);
      }),
    );
  });
});

describe('DatastoreURL', () => {
  it('builds the /folder URL with encoded path and query', () => {
    const u = DatastoreURL.fromPath(DatastorePath.parse('[my ds] vol 1/a&b#c.vmdk'), 'vc.example:8443', 'dc/sub dc');
    expect(u.toString()).toBe(
      'https://vc.example:8443/folder/vol%201/a%26b%23c.vmdk?dcPath=dc%2Fsub%20dc&dsName=my%20ds',
    );
    expect(u.datastorePath.toString()).toBe('[my ds] vol 1/a&b#c.vmdk');
  });

  it('parses what it prints, and oslo-style + in queries', () => {
    const u = DatastoreURL.parse('http://127.0.0.1:1234/folder/a/%C3%A9t%C3%A9.vmdk?dcPath=DC0&dsName=LocalDS_0');
    expect(u.scheme).toBe('http');
    expect(u.server).toBe('127.0.0.1:1234');
    expect(u.path).toBe('a/été.vmdk');
    expect(DatastoreURL.parse(u.toString())).toEqual(u);
    expect(DatastoreURL.parse('https://h/folder/x?dcPath=my+dc&dsName=ds').datacenterPath).toBe('my dc');
  });

  it.each([
    'not a url',
    'ftp://h/folder/x?dcPath=a&dsName=b',
    'https://h/other/x?dcPath=a&dsName=b',
    'https://h/folder/x?dsName=b',
    'https://h/folder/x?dcPath=a',
    'https://h/folder/%E0%A4%A?dcPath=a&dsName=b',
    'https://h/folder/a/../b?dcPath=a&dsName=b',
  ])('rejects %s', (text) => {
    expect(() => DatastoreURL.parse(text)).toThrow(InvalidDatastorePathError);
  });

  it('rejects a server with a path or credentials in it', () => {
    expect(() => new DatastoreURL({ server: 'user@h', path: 'x', datacenterPath: 'dc', datastoreName: 'ds' })).toThrow(
      InvalidDatastorePathError,
    );
  });
});
