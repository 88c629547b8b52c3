/**
 * Counts turns of the event loop (one per setImmediate round) while `work` runs: work done in slices that yield
 * lets the count grow, work done in one step does not. `work` may read the count so far through `turnsSoFar`.
 */
export async function countingTurns<T>(work: (turnsSoFar: () => number) => Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0;
  let running = true;
  const tick = () => {
    if (!running) return;
    turns += 1;
    setImmediate(tick);
  };
  setImmediate(tick);
  try {
    const result = await work(() => turns);
    return { result, turns };
  } finally {
    running = false;
  }
}
