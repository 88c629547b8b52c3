/**
 * JSON has no NaN or infinities, yet Python's json module, rapidjson (kParseNanAndInfFlag) and XGBoost's model
 * writer emit them as the bare tokens NaN, Infinity and -Infinity. This quotes those tokens wherever they stand
 * as values, leaving string contents alone, so that JSON.parse accepts the text and the values arrive as the
 * strings "NaN", "Infinity" and "-Infinity" — the spelling the tensor JSON codec reads as floats.
 */
export function quoteNonFiniteTokens(text: string): string {
  const parts: string[] = [];
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
    for (const token of TOKENS) {
      if (text.startsWith(token, i)) {
        parts.push(text.slice(last, i), `"${token}"`);
        i += token.length - 1;
        last = i + 1;
        break;
      }
    }
  }
  parts.push(text.slice(last));
  return parts.join('');
}

/** -Infinity before Infinity, so the sign is quoted with it. */
const TOKENS = ['-Infinity', 'Infinity', 'NaN'] as const;
