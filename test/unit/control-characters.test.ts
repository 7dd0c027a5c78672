import { hasControlCharacter, hasNulCharacter } from '../../src/lib/control-characters';

describe('hasControlCharacter', () => {
  it.each(['\u0000', '\u0007', '\t', '\n', '\r', '\u001f', '\u007f', '\u0085', '\u009f'])('finds %j', (character) => {
    expect(hasControlCharacter(`a${character}b`)).toBe(true);
  });

  it('passes printable text, whatever its script', () => {
    expect(hasControlCharacter('Ada Lovelace <ada@example.com> — ünïcödé 漢字 🙂')).toBe(false);
  });

  it('lets free text keep tabs and newlines, nothing else', () => {
    expect(hasControlCharacter('line 1\n\tline 2', ['\t', '\n'])).toBe(false);
    expect(hasControlCharacter('line 1\r\nline 2', ['\t', '\n'])).toBe(true);
  });
});

describe('hasNulCharacter', () => {
  it('finds U+0000 anywhere, and no other character', () => {
    expect(['\u0000', 'a\u0000', '\u0000b', 'a\u0000b'].map(hasNulCharacter)).toEqual([true, true, true, true]);
    expect(['', '0', '\\u0000', '\u0001', '\n', '\u0080', '\uFFFD'].map(hasNulCharacter)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});
