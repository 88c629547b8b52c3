/**
 * XGBoost writes non-finite floats as bare NaN / Infinity / -Infinity (e.g. loss_changes of categorical nodes),
 * which JSON.parse refuses. This parses strict JSON first and, only if that fails, retries with those tokens
 * (outside strings) turned into the strings "NaN", "Infinity", "-Infinity", which the model reader accepts.
 */
export function parseXgboostJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (strictError) {
    const relaxed = quoteNonFinite(text);
    if (relaxed === text) throw strictError;
    return JSON.parse(relaxed);
  }
}

function quoteNonFinite(text: string): string {
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

const TOKENS = ['-Infinity', 'Infinity', 'NaN'] as const;
