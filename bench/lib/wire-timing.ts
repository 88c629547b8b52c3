/**
 * Answer times as the loopback interface saw them: tcpdump timestamps each request's first segment and the first
 * segment of its answer in the kernel, so neither the load generator's event loop nor the server's own clock is in
 * the figure. A busy generator on a 2-core machine otherwise adds its own lag to every latency it measures.
 *
 * Needs tcpdump (Debian's package) and the right to capture (root); without them `startWireCapture` returns
 * undefined and the bench says so. Only segments whose payload starts with "POST" or "HTTP" are captured (a BPF
 * filter in the kernel), and only their first bytes, so capture costs little even with large request bodies.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface WireExchange {
  /** HTTP status of the answer. */
  readonly status: number;
  /** From the request's first segment to the answer's first segment, on the interface. */
  readonly ms: number;
}

export interface WireCapture {
  /** Stops tcpdump and pairs every request with the answer that followed it on its connection. */
  stop(): Promise<WireExchange[]>;
}

const PAYLOAD = 'tcp[((tcp[12:1] & 0xf0) >> 2):4]';
const POST = 0x504f5354; // "POST"
const HTTP = 0x48545450; // "HTTP"

export async function startWireCapture(serverPort: number): Promise<WireCapture | undefined> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-wire-'));
  const file = path.join(dir, 'capture.pcap');
  const filter = `tcp port ${serverPort} and (${PAYLOAD} = ${POST} or ${PAYLOAD} = ${HTTP})`;
  const child = spawn('tcpdump', ['-i', 'lo', '-n', '-U', '-s', '160', '-B', '16384', '-w', file, filter], { stdio: ['ignore', 'ignore', 'pipe'] });
  const listening = await new Promise<boolean>((resolve) => {
    let said = '';
    child.once('error', () => resolve(false));
    child.once('exit', () => resolve(false));
    child.stderr!.on('data', (chunk: Buffer) => {
      said += chunk.toString();
      if (said.includes('listening on')) resolve(true);
    });
  });
  if (!listening) {
    await rm(dir, { recursive: true, force: true });
    return undefined;
  }
  return {
    async stop() {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGINT');
      });
      try {
        return pairExchanges(parsePcap(await readFile(file)), serverPort);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

interface Segment {
  readonly ms: number;
  readonly sourcePort: number;
  readonly destinationPort: number;
  readonly payload: Buffer;
}

/** Link-layer header lengths of the link types tcpdump writes for the loopback interface. */
const LINK_HEADER: Record<number, number> = { 0: 4, 1: 14, 113: 16, 276: 20 };

/** Reads a classic pcap file (microsecond or nanosecond timestamps, either byte order): TCP segments over IPv4/IPv6. */
export function parsePcap(bytes: Buffer): Segment[] {
  if (bytes.length < 24) return [];
  const magic = bytes.readUInt32LE(0);
  const littleEndian = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const u32 = (offset: number) => (littleEndian ? bytes.readUInt32LE(offset) : bytes.readUInt32BE(offset));
  const nanoseconds = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
  const linkHeader = LINK_HEADER[u32(20)];
  if (linkHeader === undefined) throw new Error(`pcap link type ${u32(20)} is not one the wire timing reads`);
  const segments: Segment[] = [];
  for (let offset = 24; offset + 16 <= bytes.length;) {
    const ms = u32(offset) * 1000 + u32(offset + 4) / (nanoseconds ? 1e6 : 1e3);
    const captured = u32(offset + 8);
    const frame = bytes.subarray(offset + 16, offset + 16 + captured);
    offset += 16 + captured;
    const ip = frame.subarray(linkHeader);
    const version = ip[0]! >> 4;
    const ipHeader = version === 4 ? (ip[0]! & 0x0f) * 4 : version === 6 ? 40 : -1;
    const protocol = version === 4 ? ip[9] : ip[6];
    if (ipHeader < 0 || protocol !== 6) continue;
    const tcp = ip.subarray(ipHeader);
    if (tcp.length < 20) continue;
    segments.push({ ms, sourcePort: tcp.readUInt16BE(0), destinationPort: tcp.readUInt16BE(2), payload: tcp.subarray((tcp[12]! >> 4) * 4) });
  }
  return segments;
}

/** Each request's first segment, then the next answer on the same connection (one request in flight per connection). */
export function pairExchanges(segments: readonly Segment[], serverPort: number): WireExchange[] {
  const waiting = new Map<number, number>();
  const exchanges: WireExchange[] = [];
  for (const segment of segments) {
    const head = segment.payload.subarray(0, 12).toString('latin1');
    if (segment.destinationPort === serverPort && head.startsWith('POST')) {
      waiting.set(segment.sourcePort, segment.ms);
    } else if (segment.sourcePort === serverPort && head.startsWith('HTTP/1.1 ')) {
      const sentAt = waiting.get(segment.destinationPort);
      if (sentAt === undefined) continue;
      waiting.delete(segment.destinationPort);
      exchanges.push({ status: Number(head.slice(9, 12)), ms: segment.ms - sentAt });
    }
  }
  return exchanges;
}
