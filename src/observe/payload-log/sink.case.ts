/**
 * The shared conformance suite every payload-log sink runs (STYLE.md 4). Call it from the implementation's own test
 * file: `runSinkConformance({ name, create })`, where `create` gives a fresh sink and a way to read back what it
 * delivered.
 */
import { CloudEvent } from 'cloudevents';
import { afterEach, describe, expect, it } from 'vitest';
import type { PayloadSink } from './sink.ts';

export interface SinkUnderTest {
  readonly sink: PayloadSink;
  /** The events delivered so far, as parsed JSON objects, in delivery order (waits for at least `count`). */
  read(count: number): Promise<Record<string, unknown>[]>;
  cleanup(): Promise<void>;
}

export interface SinkConformanceOptions {
  readonly name: string;
  create(): Promise<SinkUnderTest>;
}

const event = (n: number, data: unknown = { n }) => new CloudEvent({
  id: `event-${n}`, type: 'io.ferry.inference.request', source: '/ferry/test', subject: 'model', datacontenttype: 'application/json',
  ferrymodel: 'model', ferryversion: '3', ferryrequestid: `r${n}`, data,
}, false);

export function runSinkConformance(options: SinkConformanceOptions): void {
  describe(`payload sink conformance: ${options.name}`, () => {
    const open: SinkUnderTest[] = [];
    const create = async () => {
      const created = await options.create();
      open.push(created);
      return created;
    };
    afterEach(async () => {
      for (const created of open.splice(0)) {
        await created.sink.close();
        await created.cleanup();
      }
    });

    it('delivers every event of a batch, in order, as structured CloudEvents with their extensions and data', async () => {
      const { sink, read } = await create();
      await sink.send([event(1), event(2, { inputs: [{ name: 'x', datatype: 'FP32', shape: [2], data: [0.5, -1] }] }), event(3)]);
      const got = await read(3);
      expect(got.map((e) => e['id'])).toEqual(['event-1', 'event-2', 'event-3']);
      expect(got[0]).toMatchObject({ specversion: '1.0', type: 'io.ferry.inference.request', source: '/ferry/test', subject: 'model', ferrymodel: 'model', ferryversion: '3', ferryrequestid: 'r1', data: { n: 1 } });
      expect(got[1]!['data']).toEqual({ inputs: [{ name: 'x', datatype: 'FP32', shape: [2], data: [0.5, -1] }] });
      // What arrives is a valid CloudEvent again.
      expect(new CloudEvent(got[2] as never).validate()).toBe(true);
    });

    it('keeps order across consecutive batches, a batch of one and a batch of 250 included', async () => {
      const { sink, read } = await create();
      await sink.send([event(0)]);
      await sink.send(Array.from({ length: 250 }, (_, i) => event(i + 1)));
      const got = await read(251);
      expect(got.map((e) => e['id'])).toEqual(Array.from({ length: 251 }, (_, i) => `event-${i}`));
    });

    it('carries text that is not ASCII and data that is empty', async () => {
      const { sink, read } = await create();
      await sink.send([event(1, { text: 'héllo — 模型 \u2028' }), event(2, {})]);
      const got = await read(2);
      expect(got[0]!['data']).toEqual({ text: 'héllo — 模型 \u2028' });
      expect(got[1]!['data']).toEqual({});
    });
  });
}
