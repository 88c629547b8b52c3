import { quoteNonFiniteTokens } from '../../tensor/index.ts';

/**
 * XGBoost writes non-finite floats as bare NaN / Infinity / -Infinity (e.g. loss_changes of categorical nodes),
 * which JSON.parse refuses. This parses strict JSON first and, only if that fails, retries with those tokens
 * (outside strings) turned into the strings "NaN", "Infinity", "-Infinity", which the model reader accepts.
 */
export function parseXgboostJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (strictError) {
    const relaxed = quoteNonFiniteTokens(text);
    if (relaxed === text) throw strictError;
    return JSON.parse(relaxed);
  }
}
