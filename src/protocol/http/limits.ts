import { ferryError } from '../../errors/index.ts';
import { DEFAULT_SHAPE_LIMITS, type ShapeLimits } from '../../tensor/index.ts';

/** What one request may ask of the decoders and one answer of the encoders (the `limits` config section). */
export interface ProtocolLimits extends ShapeLimits {
  /** Deepest nesting of objects and lists in a JSON body (setting: limits.max_json_depth). */
  readonly maxJsonDepth: number;
  /** Longest string, key or value, in a JSON body, in characters (setting: limits.max_string_length). */
  readonly maxStringLength: number;
  /** Largest answer body in bytes (setting: limits.max_response_bytes). */
  readonly maxResponseBytes: number;
}

const MiB = 1024 * 1024;

/** Triton accepts JSON nested 100 levels deep; V2 bodies need 3 levels plus the tensor's rank. */
export const DEFAULT_LIMITS: ProtocolLimits = {
  ...DEFAULT_SHAPE_LIMITS,
  maxJsonDepth: 100,
  maxStringLength: 16 * MiB,
  maxResponseBytes: 256 * MiB,
};

/**
 * Scans JSON text once, before it is parsed, for nesting deeper than the limit and strings longer than the
 * limit. V8's JSON.parse does not recurse, but what reads a parsed value often does (JSON.stringify of echoed
 * metadata, nested-list walks): refusing deep input here means nothing recursive ever sees it.
 */
export function checkJsonText(text: string, limits: ProtocolLimits): void {
  const maxDepth = limits.maxJsonDepth;
  const maxString = limits.maxStringLength;
  let depth = 0;
  let stringStart = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (stringStart >= 0) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) {
        if (i - stringStart - 1 > maxString) tooLong(i - stringStart - 1, maxString);
        stringStart = -1;
      }
    } else if (c === QUOTE) stringStart = i;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) {
        throw ferryError('FERRY_ERR_LIMIT_EXCEEDED', {
          what: `the JSON body nests deeper than ${maxDepth} levels, which`, limit: `${maxDepth} levels`, setting: 'limits.max_json_depth',
        });
      }
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  if (stringStart >= 0 && text.length - stringStart - 1 > maxString) tooLong(text.length - stringStart - 1, maxString);
}

function tooLong(length: number, limit: number): never {
  throw ferryError('FERRY_ERR_LIMIT_EXCEEDED', {
    what: `a string of ${length} characters in the JSON body`, limit: `${limit} characters`, setting: 'limits.max_string_length',
  });
}

/** The answer body's size against the limit: refused rather than sent (or rather than built further). */
export function checkResponseSize(size: number, limits: ProtocolLimits): void {
  if (size > limits.maxResponseBytes) {
    throw ferryError('FERRY_ERR_RESPONSE_TOO_LARGE', { size, limit: limits.maxResponseBytes, setting: 'limits.max_response_bytes' });
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
