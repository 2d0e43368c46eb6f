import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../src/html.ts';

describe('escapeHtml', () => {
  it('turns & < > " into entities, & first so an entity in the input stays text', () => {
    expect(escapeHtml(`a&b<c>"d'`)).toBe(`a&amp;b&lt;c&gt;&quot;d'`);
    expect(escapeHtml('&amp; &lt;')).toBe('&amp;amp; &amp;lt;');
    expect(escapeHtml('https://shop.uid2.test:8080/path?q=1')).toBe('https://shop.uid2.test:8080/path?q=1');
  });

  it('leaves nothing that could end a double-quoted attribute or open a tag', () => {
    const hostile = '"><script>alert(1)</script><a href="x';
    const html = `<a href="${escapeHtml(hostile)}">`;
    expect(html.match(/"/g)).toHaveLength(2);
    expect(html.match(/[<>]/g)).toHaveLength(2);
  });
});
