import { describe, expect, it } from 'vitest';
import { childrenNamed, findAll, localName, parseXml } from './xml.js';

describe('parseXml', () => {
  it('reads elements, attributes in both quote styles, text, comments and self-closing tags', () => {
    const root = parseXml(`<?xml version="1.0"?>
      <!-- a comment -->
      <xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" a='1'>
        <xsd:element name="x" type="xsd:string" minOccurs="0"/>
        <doc>a &lt; b &amp; c &#x41;&#66;<![CDATA[<raw>]]></doc>
      </xsd:schema>`);
    expect(root.name).toBe('xsd:schema');
    expect(root.attrs).toEqual({ 'xmlns:xsd': 'http://www.w3.org/2001/XMLSchema', a: '1' });
    expect(childrenNamed(root, 'element')[0]?.attrs).toEqual({ name: 'x', type: 'xsd:string', minOccurs: '0' });
    expect(findAll(root, 'doc')[0]?.text).toBe('a < b & c AB<raw>');
    expect(localName('vim25:DynamicData')).toBe('DynamicData');
    expect(localName('DynamicData')).toBe('DynamicData');
  });

  it('finds descendants in document order', () => {
    const root = parseXml('<a><b n="1"><b n="2"/></b><c><b n="3"/></c></a>');
    expect(findAll(root, 'b').map((b) => b.attrs.n)).toEqual(['1', '2', '3']);
  });

  it.each([
    ['<!DOCTYPE a [<!ENTITY x "y">]><a/>', /DTD/],
    ['<a>&x;</a>', /unknown entity/],
    ['<a>&</a>', /stray &/],
    ['<a><b></a>', /does not close/],
    ['<a>', /unclosed/],
    ['<a/><b/>', /second root/],
    ['text<a/>', /outside the root/],
    ['<a x="1" x="2"/>', /duplicate attribute/],
    ['<a x=1/>', /bad start tag/],
    ['<!-- never closed', /unterminated/],
    ['', /no root/],
  ])('refuses %s', (text, error) => {
    expect(() => parseXml(text)).toThrow(error);
  });
});
