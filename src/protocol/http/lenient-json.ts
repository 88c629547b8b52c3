import { ferryError } from '../../errors/index.ts';
import { quoteNonFiniteTokens } from '../../tensor/index.ts';
import { parseExactJson } from './exact-json.ts';

/**
 * JSON.parse that also takes the bare `NaN`, `Infinity` and `-Infinity` tokens TF Serving (rapidjson with
 * kParseNanAndInfFlag) and Python's json module accept. Such tokens become the strings "NaN", "Infinity" and
 * "-Infinity", which the tensor codec reads as floats. Only bodies that strict parsing rejects take the slow path.
 * Integers beyond 2^53 stay exact (see parseExactJson).
 */
export function parseLenientJson(text: string): unknown {
  try {
    return parseExactJson(text);
  } catch (error) {
    if (!/NaN|Infinity/.test(text)) throw malformed(error);
    try {
      return parseExactJson(quoteNonFiniteTokens(text));
    } catch {
      throw malformed(error);
    }
  }
}

function malformed(error: unknown) {
  return ferryError('FERRY_ERR_MALFORMED_BODY', { detail: (error as Error).message });
}
