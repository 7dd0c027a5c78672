import { hasControlCharacter } from '../../src/lib/control-characters';

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
