import { describe, expect, it } from 'vitest';
import { PendingQueue, type QueueEntry } from './pending-queue.ts';

interface Item extends QueueEntry {
  readonly id: number;
}
const item = (id: number): Item => ({ id, queued: false });
const ids = (queue: PendingQueue<Item>) => [...queue.entries()].map((e) => e.id);

describe('pending queue', () => {
  it('keeps arrival order, marks entries queued, and counts them', () => {
    const queue = new PendingQueue<Item>();
    expect(queue.size).toBe(0);
    expect(queue.peek()).toBeUndefined();
    const [a, b, c] = [item(1), item(2), item(3)];
    for (const e of [a, b, c]) queue.push(e);
    expect(a.queued).toBe(true);
    expect(queue.size).toBe(3);
    expect(queue.peek()).toBe(a);
    expect(ids(queue)).toEqual([1, 2, 3]);
  });

  it('removes from anywhere, once: the head moves past removed entries', () => {
    const queue = new PendingQueue<Item>();
    const entries = [1, 2, 3, 4].map(item);
    for (const e of entries) queue.push(e);
    queue.remove(entries[1]!);
    queue.remove(entries[1]!); // a second removal changes nothing
    expect(queue.size).toBe(3);
    expect(entries[1]!.queued).toBe(false);
    expect(ids(queue)).toEqual([1, 3, 4]);
    queue.remove(entries[0]!);
    expect(queue.peek()).toBe(entries[2]);
    expect(ids(queue)).toEqual([3, 4]);
    queue.remove(entries[2]!);
    queue.remove(entries[3]!);
    expect(queue.size).toBe(0);
    expect(queue.peek()).toBeUndefined();
    expect(ids(queue)).toEqual([]);
    // Usable again once empty: new entries start a fresh order.
    queue.push(entries[0]!);
    expect(queue.peek()).toBe(entries[0]);
    expect(ids(queue)).toEqual([1]);
  });

  it('lets entries be removed while iterating', () => {
    const queue = new PendingQueue<Item>();
    const entries = [1, 2, 3, 4, 5].map(item);
    for (const e of entries) queue.push(e);
    const seen: number[] = [];
    for (const e of queue.entries()) {
      seen.push(e.id);
      if (e.id % 2 === 1) queue.remove(e);
      if (e.id === 2) queue.remove(entries[3]!); // a later entry, removed before it is reached
    }
    expect(seen).toEqual([1, 2, 3, 5]);
    expect(ids(queue)).toEqual([2]);
  });

  it('stays in order across compaction after many entries have left from the front', () => {
    const queue = new PendingQueue<Item>();
    const entries = Array.from({ length: 5000 }, (_, i) => item(i));
    for (const e of entries) queue.push(e);
    const outOfOrder: number[] = [];
    for (let i = 0; i < 3000; i++) {
      if (queue.peek() !== entries[i]) outOfOrder.push(i);
      queue.remove(entries[i]!);
    }
    expect(outOfOrder).toEqual([]);
    expect(queue.peek()).toBe(entries[3000]);
    expect(queue.size).toBe(2000);
    const rest = ids(queue);
    expect(rest).toHaveLength(2000);
    expect(rest[0]).toBe(3000);
    expect(rest.at(-1)).toBe(4999);
    queue.push(item(5000));
    expect(ids(queue).at(-1)).toBe(5000);
    expect(queue.size).toBe(2001);
  });
});
