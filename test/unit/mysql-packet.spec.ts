import { quotedBytes } from '../../src/dialects/mysql/mysql-packet';

describe('MySQL statement size of a quoted value', () => {
  it('counts UTF-8 bytes, one more per escaped character, and the quotes', () => {
    expect(quotedBytes('')).toBe(2);
    expect(quotedBytes('abc')).toBe(5);
    expect(quotedBytes('é')).toBe(4);
    expect(quotedBytes(JSON.stringify('"'))).toBe(4 + 4 + 2);
    expect(quotedBytes("\0\b\t\n\r\x1a\"'\\")).toBe(18 + 2);
  });
});
