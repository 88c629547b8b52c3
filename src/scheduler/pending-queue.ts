/**
 * FIFO of waiting entries with O(1) removal from anywhere: a removed entry is only marked, and skipped when the
 * head passes it (cancellations and merged picks leave holes; the array is compacted once half of it is holes).
 */
export interface QueueEntry {
  /** False once the entry has left the queue (taken into a batch, cancelled or expired). */
  queued: boolean;
}

export class PendingQueue<T extends QueueEntry> {
  private items: T[] = [];
  private head = 0;
  private live = 0;

  get size(): number {
    return this.live;
  }

  push(entry: T): void {
    entry.queued = true;
    this.items.push(entry);
    this.live++;
  }

  /** The oldest entry still queued. */
  peek(): T | undefined {
    while (this.head < this.items.length && !this.items[this.head]!.queued) this.head++;
    this.compact();
    return this.items[this.head];
  }

  remove(entry: T): void {
    if (!entry.queued) return;
    entry.queued = false;
    this.live--;
    if (this.live === 0) {
      this.items = [];
      this.head = 0;
    }
  }

  /** Queued entries oldest first; removing entries while iterating is safe. */
  *entries(): Generator<T> {
    for (let i = this.head; i < this.items.length; i++) {
      const entry = this.items[i]!;
      if (entry.queued) yield entry;
    }
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
