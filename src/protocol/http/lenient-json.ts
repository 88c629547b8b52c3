import { ferryError } from '../../errors/index.ts';

/**
 * JSON.parse that also takes the bare `NaN`, `Infinity` and `-Infinity` tokens TF Serving (rapidjson with
 * kParseNanAndInfFlag) and Python's json module accept. Such tokens become the strings "NaN", "Infinity" and
 * "-Infinity", which the tensor codec reads as floats. Only bodies that strict parsing rejects take the slow path.
 */
export function parseLenientJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (!/NaN|Infinity/.test(text)) throw malformed(error);
    try {
      return JSON.parse(quoteNonFiniteTokens(text));
    } catch {
      throw malformed(error);
    }
  }
}

function malformed(error: unknown) {
  return ferryError('FERRY_ERR_MALFORMED_BODY', { detail: (error as Error).message });
}

/** Quotes NaN / Infinity / -Infinity wherever they stand as values, leaving string contents alone. */
export function quoteNonFiniteTokens(text: string): string {
  let out = '';
  let last = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      continue;
    }
    for (const token of ['-Infinity', 'Infinity', 'NaN']) {
      if (text.startsWith(token, i)) {
        out += `${text.slice(last, i)}"${token}"`;
        i += token.length - 1;
        last = i + 1;
        break;
      }
    }
  }
  return out + text.slice(last);
}
