import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { materializeRepository, type ScratchRepository } from './fixtures/repos/materialize.ts';
import { logitsMismatch, metricSample, mlpBinaryRequest, pickRows, referenceRows } from './fixtures/repos/reference-rows.ts';
import { startFerry, type RunningFerry } from './helpers/server.ts';

/**
 * Load shedding and deadlines end to end. Each burst sends 32 concurrent MLP requests of 256 rows (a few ms of
 * onnxruntime each) to a model with `batching: off`, so that requests must wait behind one another. What a burst
 * yields depends on timing, so bursts repeat (a bounded number of times) until the behaviour under test showed up;
 * the assertions on every answer (status set, headers, values) hold for every burst.
 */
const BURST = 32;
const ROWS = 256;
const MAX_BURSTS = 4;

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any;
}

describe('load shedding and deadlines', () => {
  let repo: ScratchRepository;
  let ferry: RunningFerry;
  const rows = referenceRows('mlp');
  const mine = pickRows(rows, 0, ROWS);
  beforeAll(async () => {
    repo = await materializeRepository('scheduling', { mlp_small_queue: 'mlp', mlp_unbatched: 'mlp', mlp_fallback: 'mlp' });
    ferry = await startFerry({ model_repository: repo.root });
  });
  afterAll(async () => {
    await ferry?.stop();
    await repo?.remove();
  });

  const burst = async (model: string, headers: Record<string, string> = {}): Promise<Answer[]> => {
    const request = mlpBinaryRequest(mine);
    return Promise.all(Array.from({ length: BURST }, async () => {
      const response = await fetch(`${ferry.url}/v2/models/${model}/infer`, { method: 'POST', body: request.body, headers: { ...request.headers, ...headers } });
      return { status: response.status, headers: response.headers, body: await response.json() };
    }));
  };
  const metrics = async () => (await fetch(`${ferry.url}/metrics`)).text();
  const expectNumpyAnswer = (answer: Answer) => {
    expect(answer.body.outputs[0]).toMatchObject({ name: 'logits', shape: [ROWS, 10] });
    expect(logitsMismatch(answer.body.outputs[0].data, mine)).toBeUndefined();
  };

  it('sheds what does not fit in max_queue with 429 and Retry-After, and answers the rest correctly', async () => {
    const all: Answer[] = [];
    for (let i = 0; i < MAX_BURSTS && !all.some((a) => a.status === 429); i++) all.push(...(await burst('mlp_small_queue')));
    expect(all.map((a) => a.status).filter((s) => s !== 200 && s !== 429), 'only 200 and 429').toEqual([]);
    const shed = all.filter((a) => a.status === 429);
    const served = all.filter((a) => a.status === 200);
    expect(shed.length).toBeGreaterThan(0);
    // One runs and two wait: at least three of each burst are served.
    expect(served.length).toBeGreaterThanOrEqual(3);
    for (const answer of shed) {
      const retryAfter = Number(answer.headers.get('retry-after'));
      expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${answer.headers.get('retry-after')}`).toBe(true);
      expect(answer.body.error).toMatch(/queue/i);
    }
    for (const answer of served) expectNumpyAnswer(answer);
    expect(metricSample(await metrics(), 'ferry_shed_total', { model: 'mlp_small_queue' })).toBe(shed.length);
  });

  it('answers 504 for requests whose ferry-timeout-ms passes while they wait, and never anything but 200 or 504', async () => {
    const all: Answer[] = [];
    for (let i = 0; i < MAX_BURSTS && !all.some((a) => a.status === 504); i++) all.push(...(await burst('mlp_unbatched', { 'ferry-timeout-ms': '2' })));
    expect(all.map((a) => a.status).filter((s) => s !== 200 && s !== 504), 'only 200 and 504').toEqual([]);
    const expired = all.filter((a) => a.status === 504);
    expect(expired.length).toBeGreaterThan(0);
    for (const answer of expired) expect(answer.body.error).toMatch(/deadline|timeout|timed out/i);
    for (const answer of all.filter((a) => a.status === 200)) expectNumpyAnswer(answer);
    expect(metricSample(await metrics(), 'ferry_expired_total', { model: 'mlp_unbatched' })).toBe(expired.length);
  });

  /** Sends the headers and half the body, waits `pauseMs`, sends the rest: a client on a slow link. */
  const slowPost = (path: string, body: Buffer, headers: Record<string, string>, pauseMs: number) => new Promise<{ status: number; body: any }>((resolve, reject) => {
    const request = httpRequest(`${ferry.url}${path}`, { method: 'POST', headers: { ...headers, 'content-length': String(body.length) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    request.on('error', reject);
    request.write(body.subarray(0, body.length >> 1));
    setTimeout(() => request.end(body.subarray(body.length >> 1)), pauseMs);
  });

  it('counts ferry-timeout-ms from the request\'s arrival: a body slower to arrive than the deadline is answered 504 and never runs', async () => {
    const expiredBefore = metricSample(await metrics(), 'ferry_expired_total', { model: 'mlp_unbatched' });
    const v2 = mlpBinaryRequest(pickRows(rows, 0, 4));
    const tfs = Buffer.from(JSON.stringify({ instances: pickRows(rows, 0, 4).map((row) => Object.values(row.inputs)[0]) }));
    // The fast V2 route, and a Fastify route (TF Serving REST), which takes the arrival time from Fastify.
    const answers = [
      await slowPost('/v2/models/mlp_unbatched/infer', v2.body, { ...v2.headers, 'ferry-timeout-ms': '100' }, 250),
      await slowPost('/v1/models/mlp_unbatched:predict', tfs, { 'content-type': 'application/json', 'ferry-timeout-ms': '100' }, 250),
    ];
    expect(answers.map((a) => a.status)).toEqual([504, 504]);
    expect(answers[0]!.body.error).toMatch(/deadline/);
    expect(metricSample(await metrics(), 'ferry_expired_total', { model: 'mlp_unbatched' }) - expiredBefore).toBe(2);
    // The same slow bodies with time to spare are served, and correctly.
    const served = await slowPost('/v2/models/mlp_unbatched/infer', v2.body, { ...v2.headers, 'ferry-timeout-ms': '5000' }, 250);
    expect(served.status).toBe(200);
    expect(logitsMismatch(served.body.outputs[0].data, pickRows(rows, 0, 4))).toBeUndefined();
  });

  interface ExpectAnswer extends Answer {
    /** Whether the server asked for the body (`100 Continue`); the body is sent only then. */
    readonly continued: boolean;
    /** Whether the server closed the connection after answering. */
    readonly closed: boolean;
  }

  /**
   * A POST with `Expect: 100-continue` on a connection of its own, as curl sends a large body, read off the raw
   * socket: the body goes out only after `100 Continue`; `closed` says whether the server ended the connection
   * within a second of its final answer.
   */
  const expectPost = (path: string, body: Buffer, headers: Record<string, string>, declaredLength = body.length) => new Promise<ExpectAnswer>((resolve, reject) => {
    const url = new URL(`${ferry.url}${path}`);
    const socket = connect(Number(url.port), url.hostname);
    let received = Buffer.alloc(0);
    let continued = false;
    let answer: Omit<ExpectAnswer, 'closed'> | undefined;
    let timer: NodeJS.Timeout | undefined;
    const settle = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      if (answer) resolve({ ...answer, closed });
      else reject(new Error(`connection ended before a final answer: ${JSON.stringify(received.toString('latin1'))}`));
    };
    socket.on('error', reject);
    socket.on('end', () => settle(true));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      for (;;) {
        const headEnd = received.indexOf('\r\n\r\n');
        if (headEnd < 0 || answer) return;
        const [statusLine, ...lines] = received.subarray(0, headEnd).toString('latin1').split('\r\n');
        const status = Number(statusLine!.split(' ')[1]);
        const parsed = new Headers(lines.map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()] as [string, string]));
        if (status === 100) {
          continued = true;
          received = received.subarray(headEnd + 4);
          socket.write(body);
          continue;
        }
        const length = Number(parsed.get('content-length'));
        if (received.length < headEnd + 4 + length) return;
        answer = { status, headers: parsed, body: JSON.parse(received.subarray(headEnd + 4, headEnd + 4 + length).toString()), continued };
        timer = setTimeout(() => settle(false), 1000);
      }
    });
    const head = Object.entries({ ...headers, 'content-length': String(declaredLength), expect: '100-continue' }).map(([name, value]) => `${name}: ${value}\r\n`).join('');
    socket.write(`POST ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\n${head}\r\n`);
  });

  it('asks an Expect: 100-continue client for its body only when it will be read: a full queue answers 429 before it and closes', async () => {
    const request = mlpBinaryRequest(mine);
    const expectAnswers: ExpectAnswer[] = [];
    for (let i = 0; i < MAX_BURSTS && !expectAnswers.some((a) => !a.continued); i++) {
      // Expect requests one after another for as long as a burst keeps the queue busy.
      let flooding = true;
      const flood = burst('mlp_small_queue').finally(() => {
        flooding = false;
      });
      while (flooding) expectAnswers.push(await expectPost('/v2/models/mlp_small_queue/infer', request.body, request.headers));
      await flood;
    }
    expect(expectAnswers.map((a) => a.status).filter((s) => s !== 200 && s !== 429), 'only 200 and 429').toEqual([]);
    // A queue that fills between 100 Continue and the body's arrival still sheds, after the body: those 429s
    // come with continued true. The ones this test is about were refused on their headers alone.
    const refusedOnHeaders = expectAnswers.filter((a) => !a.continued);
    expect(refusedOnHeaders.length, 'some Expect requests met a full queue').toBeGreaterThan(0);
    for (const answer of refusedOnHeaders) {
      expect(answer.status, 'only a refusal comes instead of 100 Continue').toBe(429);
      expect(answer.closed, 'and the connection closes, since the body never comes').toBe(true);
      expect(answer.headers.get('connection')).toBe('close');
    }
    for (const answer of expectAnswers.filter((a) => a.status === 429)) {
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(answer.body.error).toMatch(/queue/i);
    }
    for (const answer of expectAnswers.filter((a) => a.status === 200)) {
      expect(answer.continued).toBe(true);
      expectNumpyAnswer(answer);
    }
    // With room in the queue the body is asked for and served, on the fast path and on a Fastify route alike.
    const idle = await expectPost('/v2/models/mlp_small_queue/infer', request.body, request.headers);
    expect(idle).toMatchObject({ status: 200, continued: true, closed: false });
    expectNumpyAnswer(idle);
    const few = pickRows(rows, 0, 4);
    const tfs = await expectPost('/v1/models/mlp_small_queue:predict', Buffer.from(JSON.stringify({ instances: few.map((row) => Object.values(row.inputs)[0]) })), { 'content-type': 'application/json' });
    expect(tfs).toMatchObject({ status: 200, continued: true });
    expect(logitsMismatch(tfs.body.predictions.flat(), few)).toBeUndefined();
  });

  it('answers 413 instead of 100 Continue to an Expect request whose declared body is over the limit', async () => {
    // The declared length is what matters: expectPost's own content-length is overridden, the body never goes out.
    const huge = await expectPost('/v2/models/mlp_small_queue/infer', Buffer.alloc(0), { 'content-type': 'application/octet-stream' }, 2 ** 40);
    expect(huge.continued).toBe(false);
    expect(huge.status).toBe(413);
    expect(huge.body.error).toMatch(/body_limit|limit/);
    expect(huge.closed).toBe(true);
  });

  it('answers the configured default_output (200, ferry_default_output true) instead of 504 when the model has one', async () => {
    const all: Answer[] = [];
    const fallback = (a: Answer) => a.body.parameters?.['ferry_default_output'] === true;
    for (let i = 0; i < MAX_BURSTS && !all.some(fallback); i++) all.push(...(await burst('mlp_fallback', { 'ferry-timeout-ms': '2' })));
    expect(all.map((a) => a.status).filter((s) => s !== 200), 'every answer is 200').toEqual([]);
    const defaults = all.filter(fallback);
    expect(defaults.length).toBeGreaterThan(0);
    const defaultRow = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    for (const answer of defaults) {
      expect(answer.body.outputs).toHaveLength(1);
      expect(answer.body.outputs[0]).toMatchObject({ name: 'logits', datatype: 'FP32', shape: [ROWS, 10] });
      expect(answer.body.outputs[0].data).toEqual(Array.from({ length: ROWS }, () => defaultRow).flat());
    }
    for (const answer of all.filter((a) => !fallback(a))) {
      expect(answer.body.parameters?.['ferry_default_output']).toBeUndefined();
      expectNumpyAnswer(answer);
    }
    expect(metricSample(await metrics(), 'ferry_expired_total', { model: 'mlp_fallback' })).toBe(defaults.length);
  });
});
