/**
 * Limits on what a model file may declare, for the counts a file can state without holding the data behind them.
 * Counts backed by data (trees, nodes, list entries) are checked against that data instead. docs/security.md lists
 * these with the reason for each value.
 */

/** Features of a model whose file declares a count without naming them (XGBoost `num_feature`). */
export const MAX_FEATURES = 1 << 20;

/** Bytes of category bitsets a tree model may need: a set is as wide as its largest category code. */
export const MAX_CATEGORY_SET_BYTES = 64 * 2 ** 20;

/** Nesting of a JSON model document (XGBoost and ferry-sklearn files nest a few levels; pipelines a few more). */
export const MAX_JSON_DEPTH = 256;

/** Dimensions of a tensor a model declares (ONNX sets no limit; real models use a handful). */
export const MAX_RANK = 64;

/** Nesting of XML elements in a PMML document (a TreeModel nests one level per tree level). */
export const MAX_XML_DEPTH = 512;
