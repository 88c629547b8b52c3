/**
 * Throughput under a latency objective, overload half: the example MLP with `max_queue` and an execution
 * objective (test/fixtures/repos/overload/mlp/model.yaml), every request carrying a deadline (`ferry-timeout-ms`).
 *
 * 1. Capacity: closed loop (CLOSED_LOOP requests in flight) for a few seconds: peak goodput (200s within deadline).
 * 2. Overload: open loop at OVERLOAD × that rate for OVERLOAD_SECONDS: arrivals on a fixed schedule, whatever the
 *    answers (no coordinated omission: an unbounded keep-alive pool, a new socket when none is free).
 * Prints goodput against peak (target >= 0.9), the latency of 429 answers on their own (target: within 5 ms), the
 * latency of 200s against their deadline (target: none later than deadline + slack) and how late 504s come.
 * Requests carry ROWS rows (binary extension) so that the model, not HTTP, is what saturates.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { materializeRepository } from '../test/fixtures/repos/materialize.ts';
import { binaryBody } from './batching.ts';
import { cpuSeconds, REPO_ROOT } from './lib/processes.ts';
import { RawHttpPool, requestBytes } from './lib/raw-http-pool.ts';
import { startWireCapture, type WireExchange } from './lib/wire-timing.ts';

const ROWS = Number(process.env['OVERLOAD_ROWS'] ?? 128);
const DEADLINE_MS = 100;
/** What a 200 may take beyond its deadline: it started before the deadline, then ran one batch (slo_ms 4) and was sent. */
const SLACK_MS = 10;
const SHED_TARGET_MS = 5;
/** prom-client's default event-loop monitor resolution. */
const LOOP_MONITOR_INTERVAL_MS = 10;
const CLOSED_LOOPS = [4, 16];
/** Offered load as multiples of peak goodput: the issue's 3x, and 1.5x to show where the collapse begins. */
const FACTORS = [1.5, 3];
const CAPACITY_SECONDS = 3;
const OVERLOAD_SECONDS = Number(process.env['BENCH_SECONDS'] ?? 6);

interface Outcome {
  /** HTTP status, or -1 when the request failed at the socket (see `error`). */
  readonly status: number;
  readonly error?: string;
  /** From the moment the request was handed to the socket to the end of its answer. */
  readonly ms: number;
  /** performance.now() when it was sent. */
  readonly sentAt: number;
}

/**
 * A keep-alive pool with no connection limit (a new socket whenever none is free), as lean per request as wrk: the
 * generator shares the 2 cores with the server, and what it spends per request is CPU the server loses, more of it
 * the higher the offered load (bench/lib/raw-http-pool.ts).
 */
let pool: RawHttpPool | undefined;

async function send(url: URL, request: Buffer): Promise<Outcome> {
  pool ??= new RawHttpPool(Number(url.port), url.hostname);
  const began = performance.now();
  const answer = await pool.request(request);
  return { status: answer.status, error: answer.error, ms: performance.now() - began, sentAt: began };
}

/** `inFlight` loops each sending the next request when its previous one is answered, for `seconds`. */
async function closedLoop(fire: () => Promise<Outcome>, inFlight: number, seconds: number): Promise<{ outcomes: Outcome[]; seconds: number }> {
  const outcomes: Outcome[] = [];
  const began = performance.now();
  const end = began + seconds * 1000;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (performance.now() < end) outcomes.push(await fire());
  }));
  return { outcomes, seconds: (performance.now() - began) / 1000 };
}

/** Arrivals at `rate` per second for `seconds` on a 1 ms tick, whatever the answers; waits for the last answers. */
async function openLoop(fire: () => Promise<Outcome>, rate: number, seconds: number): Promise<{ outcomes: Outcome[]; maxTickLagMs: number }> {
  const pending: Promise<Outcome>[] = [];
  const began = performance.now();
  let maxTickLagMs = 0;
  let lastTick = began;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      maxTickLagMs = Math.max(maxTickLagMs, now - lastTick);
      lastTick = now;
      const due = Math.min(Math.floor(((now - began) / 1000) * rate), Math.floor(seconds * rate));
      while (pending.length < due) pending.push(fire());
      if (now - began >= seconds * 1000) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  return { outcomes: await Promise.all(pending), maxTickLagMs };
}

interface Server {
  readonly url: string;
  readonly child: ChildProcess;
  /** Log lines the server wrote since it was ready, by pino level (30 info, 40 warn, 50 error). */
  readonly logLines: Map<number, number>;
  stop(): Promise<void>;
}

/**
 * `ferry serve` in a child process. Unlike bench/lib's startFerryProcess it reads stdout line by line without
 * keeping it (per-request logs under overload would otherwise pile up in the load generator), counts the lines
 * by level.
 */
async function startServer(repository: string): Promise<Server> {
  const args = ['bin/ferry.js', 'serve', repository, '--config', path.join(repository, 'ferry.yaml'), '--http-port', '0', '--grpc-port', '0', '--poll-seconds', '0', '--log-level', 'info'];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const logLines = new Map<number, number>();
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('ferry serve did not become ready in 30 s')), 30_000);
    child.once('exit', (code) => reject(new Error(`ferry serve exited with ${code}`)));
    let ready = false;
    let tail = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (tail + chunk.toString()).split('\n');
      tail = lines.pop()!;
      for (const line of lines) {
        if (!ready && line.includes('"msg":"ferry serving"')) {
          ready = true;
          clearTimeout(timer);
          resolve(`http://${(JSON.parse(line) as { http: string }).http}`);
        } else if (ready) {
          const level = Number(/"level":(\d+)/.exec(line)?.[1] ?? 0);
          logLines.set(level, (logLines.get(level) ?? 0) + 1);
        }
      }
    });
  });
  return {
    url, child, logLines,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

const quantile = (values: readonly number[], q: number): number => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};
const ms = (v: number) => `${v.toFixed(1)} ms`;
/** 200s the wire saw later than deadline + slack: lateness without the generator's own lag in it. */
const late200sOnWire = (wire: readonly WireExchange[]) => wire.filter((e) => e.status === 200 && e.ms > DEADLINE_MS + SLACK_MS).length;
/** 200s and 504s as the wire saw them. */
const wireAnswersSummary = (wire: readonly WireExchange[]) => {
  const okMs = wire.filter((e) => e.status === 200).map((e) => e.ms);
  const expiredMs = wire.filter((e) => e.status === 504).map((e) => e.ms);
  return `  200 on the wire: p50 ${ms(quantile(okMs, 0.5))}, p99 ${ms(quantile(okMs, 0.99))}, max ${ms(Math.max(...okMs, 0))}; `
    + `${late200sOnWire(wire)} of ${okMs.length} later than deadline + ${SLACK_MS} ms (target: none)`
    + (expiredMs.length > 0 ? `; 504 on the wire p50 ${ms(quantile(expiredMs, 0.5))}, max ${ms(Math.max(...expiredMs))}` : '');
};

interface ServerReading {
  readonly shed: number;
  readonly expired: number;
  /**
   * Event-loop delay since the previous scrape (prom-client resets its histogram on every scrape), less the 10 ms
   * between the monitor's samples, which Node's histogram counts in every value: an idle loop reads 10 ms.
   */
  readonly loopLagP99Ms: number;
  readonly loopLagMaxMs: number;
}

/** One scrape of the server's /metrics: the model's shed and expired counters and the event-loop delay. */
async function readServer(baseUrl: string): Promise<ServerReading> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const counter = (name: string) => Number(new RegExp(`^${name}\\{[^}]*model="mlp"[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  const lagMs = (stat: string) => Number(new RegExp(`^ferry_process_nodejs_eventloop_lag_${stat}_seconds (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) * 1000 - LOOP_MONITOR_INTERVAL_MS;
  return { shed: counter('ferry_shed_total'), expired: counter('ferry_expired_total'), loopLagP99Ms: lagMs('p99'), loopLagMaxMs: lagMs('max') };
}

export interface OverloadRun {
  readonly factor: number;
  readonly offeredRate: number;
  readonly goodput: number;
  /** 429 latency at the load generator, its own event-loop lag included. */
  readonly shedP99Ms: number;
  /** 429 latency on the loopback interface (tcpdump), undefined where tcpdump could not run. */
  readonly shedWireP99Ms: number | undefined;
  readonly late200: number;
  /** 200s later than deadline + slack on the loopback interface, undefined where tcpdump could not run. */
  readonly late200Wire: number | undefined;
}

export interface OverloadFigures {
  readonly peakGoodput: number;
  readonly runs: readonly OverloadRun[];
}

export async function main(): Promise<OverloadFigures> {
  const loadBefore = loadavg();
  const repo = await materializeRepository('overload', { mlp: 'mlp' });
  const ferry = await startServer(repo.root);
  try {
    const pid = ferry.child.pid!;
    const url = new URL(`${ferry.url}/v2/models/mlp/infer`);
    const data = Float32Array.from({ length: ROWS * 256 }, (_, i) => Math.sin(i * 0.37));
    const { body, headers } = binaryBody(data, ROWS);
    const request = requestBytes(url, { ...headers, 'ferry-timeout-ms': String(DEADLINE_MS) }, body);
    const fire = () => send(url, request);
    const good = (o: Outcome) => o.status === 200 && o.ms <= DEADLINE_MS + SLACK_MS;

    console.log(`## Overload: MLP, ${ROWS} rows per request (binary), max_queue 16, slo_ms 4, ferry-timeout-ms ${DEADLINE_MS}, one onnxruntime thread (ferry.yaml)`);
    console.log(`load average before the bench: ${loadBefore.map((v) => v.toFixed(2)).join(' ')}`);
    const first = await fire();
    if (first.status !== 200) throw new Error(`the model answered ${first.status}`);

    // Peak goodput: the best of a few closed loops (enough in flight to batch, few enough to meet the deadline).
    let peak = 0;
    for (const inFlight of CLOSED_LOOPS) {
      await closedLoop(fire, inFlight, 1);
      const capacity = await closedLoop(fire, inFlight, CAPACITY_SECONDS);
      const goodput = capacity.outcomes.filter(good).length / capacity.seconds;
      const okMs = capacity.outcomes.filter((o) => o.status === 200).map((o) => o.ms);
      console.log(`capacity, closed loop ${String(inFlight).padStart(2)} in flight, ${CAPACITY_SECONDS} s: ${goodput.toFixed(0)} good answers/s (${(goodput * ROWS).toFixed(0)} rows/s), `
        + `200 p50 ${ms(quantile(okMs, 0.5))}, p99 ${ms(quantile(okMs, 0.99))}, ${capacity.outcomes.length - okMs.length} not 200`);
      peak = Math.max(peak, goodput);
    }

    const runs: OverloadRun[] = [];
    for (const factor of FACTORS) {
      const rate = factor * peak;
      // tcpdump first: its start-up (up to a second) must count neither in the run's time nor in the server's CPU.
      const capture = await startWireCapture(Number(new URL(ferry.url).port));
      const before = await readServer(ferry.url);
      const cpuBefore = cpuSeconds(pid);
      const generatorBefore = process.cpuUsage();
      const began = performance.now();
      const overload = await openLoop(fire, rate, OVERLOAD_SECONDS);
      const wall = (performance.now() - began) / 1000;
      // Read before the capture is parsed, which this process also does.
      const generatorCpu = process.cpuUsage(generatorBefore);
      const generatorSeconds = (generatorCpu.user + generatorCpu.system) / 1e6;
      const wire = await capture?.stop();
      const busy = (cpuSeconds(pid) - cpuBefore) / wall;
      const after = await readServer(ferry.url);
      const shedServer = after.shed - before.shed;
      const expiredServer = after.expired - before.expired;

      const by = (status: number) => overload.outcomes.filter((o) => o.status === status);
      const ok = by(200);
      const shed = by(429);
      const expired = by(504);
      const other = overload.outcomes.filter((o) => ![200, 429, 504].includes(o.status));
      const goodput = ok.filter(good).length / OVERLOAD_SECONDS;
      const late = ok.filter((o) => !good(o));
      const shedMs = shed.map((o) => o.ms);
      const okMs = ok.map((o) => o.ms);
      // Good answers by the second of the run in which they were sent: a collapse shows as a falling series.
      const perSecond = Array.from({ length: Math.ceil(OVERLOAD_SECONDS) }, (_, second) => ok.filter((o) => good(o) && Math.floor((o.sentAt - began) / 1000) === second).length);

      console.log(`overload ${factor}x: open loop at ${rate.toFixed(0)} req/s for ${OVERLOAD_SECONDS} s (last answer after ${wall.toFixed(1)} s; generator tick lag max ${ms(overload.maxTickLagMs)}; server ${(busy * 100).toFixed(0)}% of a core, its event-loop delay beyond the monitor's ${LOOP_MONITOR_INTERVAL_MS} ms interval p99 ${ms(after.loopLagP99Ms)} max ${ms(after.loopLagMaxMs)}; `
        + `load generator ${(generatorSeconds / wall * 100).toFixed(0)}% of a core, ${(generatorSeconds * 1e6 / overload.outcomes.length).toFixed(0)} µs CPU/request)`);
      console.log(`  offered ${overload.outcomes.length}: 200 ${ok.length}, 429 ${shed.length}, 504 ${expired.length}, other ${other.length}   (server counted shed ${shedServer}, expired ${expiredServer})`);
      if (other.length > 0) {
        const reasons = new Map<string, number>();
        for (const o of other) reasons.set(o.error ?? String(o.status), (reasons.get(o.error ?? String(o.status)) ?? 0) + 1);
        console.log(`  other answers: ${[...reasons].map(([reason, n]) => `${reason} ${n}`).join(', ')}`);
      }
      console.log(`  goodput ${goodput.toFixed(0)} good answers/s = ${(goodput / peak).toFixed(2)} of peak (target >= 0.90); good answers by second sent: ${perSecond.join(' ')}`);
      console.log(`  429 latency: p50 ${ms(quantile(shedMs, 0.5))}, p99 ${ms(quantile(shedMs, 0.99))}, max ${ms(Math.max(...shedMs, 0))}`
        + `; ${shedMs.filter((v) => v > SHED_TARGET_MS).length} of ${shed.length} over ${SHED_TARGET_MS} ms (target: none)`);
      console.log(`  200 latency: p50 ${ms(quantile(okMs, 0.5))}, p99 ${ms(quantile(okMs, 0.99))}, max ${ms(Math.max(...okMs, 0))}`
        + `; ${late.length} later than deadline + ${SLACK_MS} ms (target: none)`);
      if (expired.length > 0) console.log(`  504 latency: p50 ${ms(quantile(expired.map((o) => o.ms), 0.5))}, max ${ms(Math.max(...expired.map((o) => o.ms)))} (deadline ${DEADLINE_MS} ms)`);
      const shedWireMs = wire?.filter((e) => e.status === 429).map((e) => e.ms);
      console.log(shedWireMs === undefined
        ? '  429 latency on the wire: not measured (needs tcpdump and the right to capture on lo)'
        : `  429 latency on the wire (tcpdump on lo, ${wire!.length} exchanges paired): p50 ${ms(quantile(shedWireMs, 0.5))}, p99 ${ms(quantile(shedWireMs, 0.99))}, max ${ms(Math.max(...shedWireMs, 0))}`
          + `; ${shedWireMs.filter((v) => v > SHED_TARGET_MS).length} of ${shedWireMs.length} over ${SHED_TARGET_MS} ms (target: none)\n${wireAnswersSummary(wire!)}`);
      const late200Wire = wire && late200sOnWire(wire);
      runs.push({ factor, offeredRate: rate, goodput, shedP99Ms: quantile(shedMs, 0.99), shedWireP99Ms: shedWireMs && quantile(shedWireMs, 0.99), late200: late.length, late200Wire });
      await new Promise((resolve) => setTimeout(resolve, 1000)); // let the server settle between runs
    }
    console.log(`server log lines during the bench, by pino level: ${[...ferry.logLines].map(([level, n]) => `${level}: ${n}`).join(', ') || 'none'}`);
    console.log(`load average after the bench: ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
    return { peakGoodput: peak, runs };
  } finally {
    pool?.close();
    pool = undefined;
    await ferry.stop();
    await repo.remove();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await main();
