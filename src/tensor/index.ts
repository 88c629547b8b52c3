export * from './datatype.ts';
export * from './tensor.ts';
export * from './half.ts';
export { decodeJsonData, encodeJsonData } from './json-codec.ts';
export { quoteNonFiniteTokens } from './non-finite-json.ts';
export { decodeRawData, encodeRawData, rawByteLength } from './raw-codec.ts';
export { outputText, unreadableBytes, utf8Text, type BytesReading } from './bytes-text.ts';
export { classify } from './classification.ts';
export { checkShape, checkSpan, shapeSpan, DEFAULT_SHAPE_LIMITS, type ShapeLimits } from './limits.ts';
