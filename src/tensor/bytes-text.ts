import { isUtf8 } from 'node:buffer';
import { ferryError } from '../errors/index.ts';

/**
 * BYTES elements are bytes. They become text only where a reader needs text (a JSON string, a runtime whose
 * strings are its language's strings), and there they must be valid UTF-8: never replaced by U+FFFD, and a leading
 * byte-order mark is kept as the character it is, not stripped.
 */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text of a BYTES element, or undefined when its bytes are not valid UTF-8. */
export function utf8Text(bytes: Uint8Array): string | undefined {
  if (!isUtf8(bytes)) return undefined;
  return strictUtf8.decode(bytes);
}

/**
 * How a model reads its BYTES inputs, when it cannot take any bytes: as UTF-8 text (`text`), or as UTF-8 text
 * that ends at the first NUL byte (`c-string`, the native strings of C libraries).
 */
export type BytesReading = 'text' | 'c-string';

/** Why a BYTES element cannot be read the way `reading` says, or undefined when it can. */
export function unreadableBytes(bytes: Uint8Array, reading: BytesReading): string | undefined {
  if (reading === 'c-string') {
    const nul = bytes.indexOf(0);
    if (nul >= 0) return `holds a NUL byte at offset ${nul}`;
  }
  return isUtf8(bytes) ? undefined : 'is not valid UTF-8';
}

/**
 * Element `index` of BYTES output `output` as text for a JSON string; refused with the protocol's way of carrying
 * bytes (`alternative`) when it is not UTF-8.
 */
export function outputText(output: string, index: number, bytes: Uint8Array, alternative: string): string {
  const text = utf8Text(bytes);
  if (text === undefined) throw ferryError('FERRY_ERR_OUTPUT_NOT_TEXT', { output, index, alternative });
  return text;
}
