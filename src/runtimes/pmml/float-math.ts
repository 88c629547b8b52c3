/**
 * Arithmetic of a model with `x-mathContext="float"`, as JPMML-Evaluator's FloatValue does it: every operand is
 * rounded to float32 and every operation's result too (Java `float` arithmetic), so sums, products and link
 * functions answer the float32 numbers the model's producer (XGBoost, LightGBM in float mode) computed.
 */
const f = Math.fround;

/** Inverse links in float32 where JPMML has them (probit has no float form there, nor here). */
export const FLOAT_INVERSE_LINKS: ReadonlyMap<string, (y: number) => number> = new Map([
  ['identity', (y: number) => f(y)],
  ['none', (y: number) => f(y)],
  ['logit', (y: number) => f(1 / f(1 + f(Math.exp(-f(y)))))],
  ['exp', (y: number) => f(Math.exp(f(y)))],
  ['cloglog', (y: number) => f(1 - f(Math.exp(-f(Math.exp(f(y))))))],
  ['loglog', (y: number) => f(Math.exp(-f(Math.exp(-f(y)))))],
  ['cauchit', (y: number) => f(0.5 + f(f(1 / f(Math.PI)) * f(Math.atan(f(y)))))],
]);

/** Softmax in float32: max-shifted exponentials summed from 0 in order, each divided by the sum. */
export function floatSoftmax(ys: readonly number[]): number[] {
  let max = -Infinity;
  for (const y of ys) if (f(y) > max) max = f(y);
  const exps = ys.map((y) => f(Math.exp(f(f(y) - max))));
  let sum = 0;
  for (const e of exps) sum = f(sum + e);
  return exps.map((e) => f(e / sum));
}

/** simplemax in float32: each value divided by their float32 sum. */
export function floatSimplemax(ys: readonly number[]): number[] {
  let sum = 0;
  for (const y of ys) sum = f(sum + f(y));
  return ys.map((y) => f(f(y) / sum));
}
