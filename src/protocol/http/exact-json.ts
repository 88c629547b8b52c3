/**
 * JSON.parse that keeps integers beyond 2^53 exact. JSON.parse turns every number into a double, so
 * 4611686018427387905 (2^62 + 1) would arrive as 4611686018427387904, and INT64/UINT64 tensors would hold a value
 * the client never sent. Integer literals that a double cannot hold exactly arrive here as bigints instead, read
 * from their source text; the tensor codec stores them exactly in 64-bit tensors, converts them for float tensors,
 * and refuses them where they do not fit. Everything else parses as JSON.parse parses it.
 *
 * Bodies without a run of 16 or more digits (2^53 has 16) cannot hold such a literal, and take JSON.parse's fast
 * path without a reviver.
 */
export function parseExactJson(text: string): unknown {
  if (!LONG_INTEGER.test(text)) return JSON.parse(text);
  return JSON.parse(text, keepLongIntegers as Reviver);
}

/** An integer literal of 16 or more digits standing as a value: after `[`, `,`, `:` or whitespace, before a delimiter. */
const LONG_INTEGER = /(?:^|[[,:\s])-?\d{16,}(?=[\s,\]}]|$)/;
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

/** JSON text of a parsed request value, bigints written back as the integer literals they were. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? rawJson(v.toString()) : v)) ?? String(value);
}

/** JSON.rawJSON (ES2025, in Node 21+): a value JSON.stringify writes as the given text. */
const rawJson = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;
