/** One arm's answers in the current gate window: how many, how many failed, and their latencies. */
export class ArmWindow {
  requests = 0;
  errors = 0;
  agreements = 0;
  comparisons = 0;
  readonly #latencies: number[] = [];
  static readonly MAX_SAMPLES = 10_000;

  record(ms: number, failed: boolean): void {
    this.requests += 1;
    if (failed) this.errors += 1;
    // Reservoir-free cap: a window keeps its first samples; windows are short.
    if (this.#latencies.length < ArmWindow.MAX_SAMPLES) this.#latencies.push(ms);
  }

  compared(agree: boolean): void {
    this.comparisons += 1;
    if (agree) this.agreements += 1;
  }

  errorRate(): number {
    return this.requests === 0 ? 0 : this.errors / this.requests;
  }

  p99(): number {
    if (this.#latencies.length === 0) return 0;
    const sorted = [...this.#latencies].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]!;
  }

  agreement(): number | undefined {
    return this.comparisons === 0 ? undefined : this.agreements / this.comparisons;
  }

  reset(): void {
    this.requests = 0;
    this.errors = 0;
    this.agreements = 0;
    this.comparisons = 0;
    this.#latencies.length = 0;
  }
}
