import { isBigIntType, type TensorMetadata } from '../../tensor/index.ts';
import { checkJsonText, DEFAULT_LIMITS, type ProtocolLimits } from './limits.ts';

/**
 * JSON.parse turns every number into a double, so 4611686018427387905 (2^62 + 1) would arrive as
 * 4611686018427387904, and an INT64/UINT64 tensor would hold a value the client never sent. With `exactIntegers`,
 * integer literals that a double cannot hold arrive as bigints instead, read from their source text; the tensor
 * codec stores them exactly in 64-bit tensors, converts them for float tensors, and refuses them where they do not
 * fit. Adapters ask for it where a 64-bit integer tensor may be in the body (V2: a body that names INT64 or UINT64;
 * the other protocols: a model with such an input), so that float-heavy bodies keep JSON.parse's speed. Elsewhere a
 * long literal is a double, as in JSON.parse, and the 64-bit codec and the parameter decoders refuse a double
 * beyond 2^53 rather than take it rounded.
 *
 * Only a body with a run of 16 or more digits (2^53 has 16) after a delimiter can hold such a literal; any other
 * takes JSON.parse's path without a reviver.
 *
 * Nesting depth and string lengths are checked against `limits` first (a catalogue error names the limit).
 */
export function parseJson(text: string, exactIntegers: boolean, limits: ProtocolLimits = DEFAULT_LIMITS): unknown {
  checkJsonText(text, limits);
  if (!exactIntegers || !LONG_INTEGER.test(text)) return JSON.parse(text);
  return JSON.parse(text, keepLongIntegers as Reviver);
}

/** Whether a model takes a 64-bit integer input, whose values a body must carry exactly. */
export function takesWideIntegers(inputs: readonly TensorMetadata[]): boolean {
  return inputs.some((input) => isBigIntType(input.datatype));
}

/** An integer literal of 16 or more digits standing as a value: after `[`, `,`, `:` or whitespace. */
const LONG_INTEGER = /(?:^|[[,:\s])-?\d{16}/;
const INTEGER_LITERAL = /^-?\d+$/;

type Reviver = (this: unknown, key: string, value: unknown) => unknown;

/** The reviver's third argument (JSON.parse source text access, ES2025): the source text of a primitive value. */
interface ReviverContext {
  readonly source?: string;
}

function keepLongIntegers(_key: string, value: unknown, context?: ReviverContext): unknown {
  if (typeof value !== 'number' || Number.isSafeInteger(value)) return value;
  const source = context?.source;
  return source !== undefined && INTEGER_LITERAL.test(source) ? BigInt(source) : value;
}

const UNSAFE = 2 ** 53;

/**
 * Whether a parsed value holds a number of 2^53 or more in magnitude (one a long literal may have become);
 * iterative, so deep nesting cannot overflow the stack. For small parts of a body, such as metadata echoed back.
 */
export function holdsUnsafeNumber(root: unknown): boolean {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'number') {
      if (value >= UNSAFE || value <= -UNSAFE) return true;
    } else if (typeof value === 'object' && value !== null) {
      for (const item of Object.values(value)) pending.push(item);
    }
  }
  return false;
}

/** JSON text of a parsed request value, bigints written back as the integer literals they were. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? rawJson(v.toString()) : v)) ?? String(value);
}

/** JSON.rawJSON (ES2025, in Node 21+): a value JSON.stringify writes as the given text. */
const rawJson = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;
