/** What a bandit knows of one arm: how often it was pulled and the sum of its rewards (each in [0, 1]). */
export interface ArmStats {
  pulls: number;
  reward: number;
}

export type Random = () => number;

/**
 * Epsilon-greedy: with probability epsilon a uniformly random arm (exploration), else the arm with the best mean
 * reward so far; an arm never pulled counts as best, so that each is tried.
 */
export function epsilonGreedy(arms: readonly ArmStats[], epsilon: number, random: Random): number {
  if (random() < epsilon) return Math.min(arms.length - 1, Math.floor(random() * arms.length));
  let best = 0;
  let bestMean = -Infinity;
  arms.forEach((arm, i) => {
    const mean = arm.pulls === 0 ? Infinity : arm.reward / arm.pulls;
    if (mean > bestMean) [best, bestMean] = [i, mean];
  });
  return best;
}

/**
 * Thompson sampling for rewards in [0, 1]: a draw from each arm's Beta(1 + rewards, 1 + pulls - rewards)
 * posterior; the arm with the highest draw is played.
 */
export function thompsonSampling(arms: readonly ArmStats[], random: Random): number {
  let best = 0;
  let bestDraw = -Infinity;
  arms.forEach((arm, i) => {
    const successes = Math.max(0, arm.reward);
    const failures = Math.max(0, arm.pulls - arm.reward);
    const draw = betaSample(1 + successes, 1 + failures, random);
    if (draw > bestDraw) [best, bestDraw] = [i, draw];
  });
  return best;
}

/** Beta(a, b) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b). */
export function betaSample(a: number, b: number, random: Random): number {
  const x = gammaSample(a, random);
  const y = gammaSample(b, random);
  return x / (x + y);
}

/** Marsaglia and Tsang's method for shape >= 1 (every shape here is at least 1). */
function gammaSample(shape: number, random: Random): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normalSample(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = random();
    if (u < 1 - 0.0331 * x ** 4) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

function normalSample(random: Random): number {
  const u = Math.max(random(), Number.MIN_VALUE);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** A reward as a bandit reads it: clipped to [0, 1] (Seldon's rewards are in that range too). */
export function clipReward(reward: number): number {
  return Math.min(1, Math.max(0, reward));
}
