/**
 * Runs `work` while a 1 ms ticker watches the event loop; returns its result, how long it took, and the longest
 * time the loop went without ticking (a loop blocked until the end never ticks again, so the tail counts too).
 */
export async function watchEventLoop<T>(work: () => Promise<T>): Promise<{ result: T; elapsedMs: number; longestGapMs: number }> {
  let last = performance.now();
  let longestGapMs = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    longestGapMs = Math.max(longestGapMs, now - last);
    last = now;
  }, 1);
  const started = performance.now();
  try {
    const result = await work();
    const elapsedMs = performance.now() - started;
    longestGapMs = Math.max(longestGapMs, performance.now() - last);
    return { result, elapsedMs, longestGapMs };
  } finally {
    clearInterval(ticker);
  }
}
