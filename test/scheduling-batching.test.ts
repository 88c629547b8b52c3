import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { materializeRepository, type ScratchRepository } from './fixtures/repos/materialize.ts';
import { logitsMismatch, metricSample, mlpBinaryRequest, pickRows, referenceRows, type Row } from './fixtures/repos/reference-rows.ts';
import { getJson, startFerry, type RunningFerry } from './helpers/server.ts';

/**
 * Batching end to end: bursts of concurrent requests to models with `batching: adaptive` must be merged into
 * executions of more than one request, and every request must get exactly its own rows and its own outputs back.
 * Whether a given burst merges depends on timing, so bursts repeat (a bounded number of times) until one did;
 * every answer of every burst is checked against the numpy reference.
 */
const MAX_BURSTS = 5;

describe('adaptive batching over HTTP', () => {
  let repo: ScratchRepository;
  let ferry: RunningFerry;
  beforeAll(async () => {
    repo = await materializeRepository('scheduling', { mlp: 'mlp', simple: 'simple' });
    ferry = await startFerry({ model_repository: repo.root });
  });
  afterAll(async () => {
    await ferry?.stop();
    await repo?.remove();
  });

  const metrics = async () => (await fetch(`${ferry.url}/metrics`)).text();
  /** Requests that ran in an execution shared with another request, from ferry_batch_requests. */
  const mergedSoFar = async (model: string) => {
    const text = await metrics();
    return metricSample(text, 'ferry_batch_requests_sum', { model }) - metricSample(text, 'ferry_batch_requests_count', { model });
  };

  it('merges concurrent MLP requests of 1 to 4 rows (JSON and binary) and answers each with its own rows', async () => {
    const rows = referenceRows('mlp');
    expect(rows).toHaveLength(5);
    let bursts = 0;
    while (bursts < MAX_BURSTS && (await mergedSoFar('mlp')) === 0) {
      bursts++;
      const requests = Array.from({ length: 48 }, (_, i) => ({ i, rows: pickRows(rows, i % 5, 1 + (i % 4)) }));
      const answers = await Promise.all(requests.map(async ({ i, rows: mine }) => {
        const binary = i % 2 === 0;
        const init = binary
          ? { method: 'POST', ...mlpBinaryRequest(mine) }
          : {
            method: 'POST', headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ id: `r${i}`, inputs: [{ name: 'input', datatype: 'FP32', shape: [mine.length, 256], data: mine.flatMap((r) => r.inputs['input']!) }] }),
          };
        const response = await fetch(`${ferry.url}/v2/models/mlp/infer`, init);
        return { i, mine, binary, status: response.status, body: await response.json() as any };
      }));
      for (const { i, mine, binary, status, body } of answers) {
        expect(status, JSON.stringify(body)).toBe(200);
        if (!binary) expect(body.id).toBe(`r${i}`);
        expect(body.outputs).toHaveLength(1);
        expect(body.outputs[0]).toMatchObject({ name: 'logits', datatype: 'FP32', shape: [mine.length, 10] });
        expect(logitsMismatch(body.outputs[0].data, mine), `request ${i}`).toBeUndefined();
      }
    }
    expect(await mergedSoFar('mlp'), `no execution merged two requests in ${bursts} bursts of 48`).toBeGreaterThan(0);

    // The statistics extension tells the same story: some execution ran more than one request.
    // Every request was counted once, in an execution of its batch size.
    const stats = (await getJson(`${ferry.url}/v2/models/mlp/stats`)).body.model_stats[0];
    const batchStats = stats.batch_stats as { batch_size: number; compute_infer: { count: number } }[];
    expect(batchStats.some((b) => b.batch_size > 1)).toBe(true);
    expect(batchStats.reduce((n, b) => n + b.batch_size * b.compute_infer.count, 0)).toBe(bursts * 48);
    expect(stats.execution_count).toBe(batchStats.reduce((n, b) => n + b.compute_infer.count, 0));
    const rowsPerExecution = metricSample(await metrics(), 'ferry_batch_rows_sum', { model: 'mlp' }) / metricSample(await metrics(), 'ferry_batch_rows_count', { model: 'mlp' });
    expect(rowsPerExecution).toBeGreaterThan(1);
  });

  it('applies each request\'s own outputs selection to a merged execution of the two-output model', async () => {
    const rows = referenceRows('simple');
    expect(rows).toHaveLength(4);
    const selections: (readonly string[] | undefined)[] = [['OUTPUT0'], ['OUTPUT1'], ['OUTPUT1', 'OUTPUT0'], undefined];
    const check = (mine: Row[], selection: readonly string[] | undefined, body: any) => {
      const names = selection ?? ['OUTPUT0', 'OUTPUT1'];
      expect(body.outputs.map((o: { name: string }) => o.name).sort()).toEqual([...names].sort());
      for (const out of body.outputs) {
        expect(out).toMatchObject({ datatype: 'INT32', shape: [mine.length, 16] });
        expect(out.data).toEqual(mine.flatMap((r) => r.outputs[out.name]!));
      }
    };
    let bursts = 0;
    while (bursts < MAX_BURSTS && (await mergedSoFar('simple')) === 0) {
      bursts++;
      const answers = await Promise.all(Array.from({ length: 48 }, async (_, i) => {
        const mine = pickRows(rows, i % 4, 1 + (i % 3));
        const selection = selections[i % selections.length];
        const tensor = (name: string) => ({ name, datatype: 'INT32', shape: [mine.length, 16], data: mine.flatMap((r) => r.inputs[name]!) });
        const response = await fetch(`${ferry.url}/v2/models/simple/infer`, {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ inputs: [tensor('INPUT0'), tensor('INPUT1')], ...(selection ? { outputs: selection.map((name) => ({ name })) } : {}) }),
        });
        return { mine, selection, status: response.status, body: await response.json() as any };
      }));
      for (const { mine, selection, status, body } of answers) {
        expect(status, JSON.stringify(body)).toBe(200);
        check(mine, selection, body);
      }
    }
    expect(await mergedSoFar('simple'), `no execution merged two requests in ${bursts} bursts of 48`).toBeGreaterThan(0);
  });
});
