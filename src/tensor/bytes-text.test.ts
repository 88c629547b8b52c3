import { describe, expect, it } from 'vitest';
import { outputText, unreadableBytes, utf8Text } from './bytes-text.ts';

describe('BYTES as text', () => {
  it('decodes UTF-8 exactly: a leading byte-order mark is kept, NUL is a character', () => {
    expect(utf8Text(Uint8Array.of(0xef, 0xbb, 0xbf, 0x41))).toBe('\uFEFFA');
    expect(utf8Text(Uint8Array.of(0x61, 0x00, 0x62))).toBe('a\u0000b');
    expect(utf8Text(Buffer.from('🚢 é'))).toBe('🚢 é');
    expect(utf8Text(new Uint8Array(0))).toBe('');
  });

  it('refuses what is not UTF-8 instead of writing U+FFFD', () => {
    for (const bad of [[0x80], [0xc0, 0x80], [0xc3], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xff, 0xd8, 0xff, 0xe0]]) {
      expect(utf8Text(Uint8Array.from(bad))).toBeUndefined();
    }
  });

  it('says why an element cannot be read as text or as a C string', () => {
    expect(unreadableBytes(Buffer.from('ab\u0000c'), 'text')).toBeUndefined();
    expect(unreadableBytes(Buffer.from('ab\u0000c'), 'c-string')).toBe('holds a NUL byte at offset 2');
    expect(unreadableBytes(Uint8Array.of(0x41, 0xff), 'text')).toBe('is not valid UTF-8');
    expect(unreadableBytes(Uint8Array.of(0x41, 0xff), 'c-string')).toBe('is not valid UTF-8');
    expect(unreadableBytes(Buffer.from('héllo'), 'c-string')).toBeUndefined();
  });

  it('refuses an output element that is not UTF-8 with the catalogue error naming output, element and the way out', () => {
    expect(outputText('y', 3, Buffer.from('ok'), 'use binary')).toBe('ok');
    expect(() => outputText('y', 3, Uint8Array.of(0xff), 'use binary')).toThrow(expect.objectContaining({
      code: 'FERRY_ERR_OUTPUT_NOT_TEXT',
      http: 400,
      message: "output 'y' element 3 is not UTF-8 text, and this answer writes it as a JSON string: use binary",
    }));
  });
});

describe('BYTES as C strings', () => {
  it('refuses a NUL in the first byte too', () => {
    expect(unreadableBytes(Uint8Array.of(0, 0x61), 'c-string')).toBe('holds a NUL byte at offset 0');
    expect(unreadableBytes(new Uint8Array(0), 'c-string')).toBeUndefined();
  });
});
