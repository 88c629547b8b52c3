/** Inverse link and normalization functions shared by RegressionModel and GeneralRegressionModel. */

/** Standard normal CDF, to double precision. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  if (x < 3) return 1 - erfSeries(x);
  return erfcContinuedFraction(x);
}

/** erf(x) = 2/sqrt(pi) e^{-x^2} sum 2^n x^{2n+1} / (1*3*...*(2n+1)): positive terms, no cancellation. */
function erfSeries(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x * x) / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

/** erfc by Lentz's continued fraction, accurate for x >= 3. */
function erfcContinuedFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = x + a * d;
    d = d === 0 ? tiny : d;
    c = x + a / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / (f * Math.sqrt(Math.PI));
}

export const logistic = (y: number): number => 1 / (1 + Math.exp(-y));

/** Maps a linear predictor to a probability or mean by the name PMML uses (normalizationMethod, link). */
export const INVERSE_LINKS: ReadonlyMap<string, (y: number) => number> = new Map([
  ['identity', (y: number) => y],
  ['none', (y: number) => y],
  ['logit', logistic],
  ['probit', normalCdf],
  ['cloglog', (y: number) => 1 - Math.exp(-Math.exp(y))],
  ['loglog', (y: number) => Math.exp(-Math.exp(-y))],
  ['cauchit', (y: number) => 0.5 + Math.atan(y) / Math.PI],
  ['exp', Math.exp],
  ['log', Math.exp],
]);
