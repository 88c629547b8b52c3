import { ferryError, isFerryError } from '../../errors/index.ts';
import { quoteNonFiniteTokens } from '../../tensor/index.ts';
import { parseJson } from './exact-json.ts';
import { DEFAULT_LIMITS, type ProtocolLimits } from './limits.ts';

/**
 * JSON.parse that also takes the bare `NaN`, `Infinity` and `-Infinity` tokens TF Serving (rapidjson with
 * kParseNanAndInfFlag) and Python's json module accept. Such tokens become the strings "NaN", "Infinity" and
 * "-Infinity", which the tensor codec reads as floats. Only bodies that strict parsing rejects take the slow path.
 * With `exactIntegers`, integer literals beyond 2^53 stay exact (see parseJson).
 */
export function parseLenientJson(text: string, exactIntegers = false, limits: ProtocolLimits = DEFAULT_LIMITS): unknown {
  try {
    return parseJson(text, exactIntegers, limits);
  } catch (error) {
    if (isFerryError(error)) throw error; // a limit, named
    if (!/NaN|Infinity/.test(text)) throw malformed(error);
    try {
      return parseJson(quoteNonFiniteTokens(text), exactIntegers, limits);
    } catch {
      throw malformed(error);
    }
  }
}

function malformed(error: unknown) {
  return ferryError('FERRY_ERR_MALFORMED_BODY', { detail: (error as Error).message });
}
