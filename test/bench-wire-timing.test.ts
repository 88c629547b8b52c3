import { describe, expect, it } from 'vitest';
import { pairExchanges, parsePcap } from '../bench/lib/wire-timing.ts';

/** The overload bench's 429 target is read from these two functions, so they are checked on hand-made captures. */

const SERVER = 8080;

/** One captured frame: Ethernet, IPv4 or IPv6, TCP (20-byte header), payload; timestamp in µs. */
function frame(us: number, from: number, to: number, payload: string, ipVersion: 4 | 6 = 4): Buffer {
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(from, 0);
  tcp.writeUInt16BE(to, 2);
  tcp[12] = 5 << 4; // data offset: 5 words
  const ip = ipVersion === 4 ? Buffer.alloc(20) : Buffer.alloc(40);
  if (ipVersion === 4) {
    ip[0] = 0x45; // version 4, 5-word header
    ip[9] = 6; // TCP
  } else {
    ip[0] = 0x60;
    ip[6] = 6;
  }
  const ethernet = Buffer.alloc(14);
  const packet = Buffer.concat([ethernet, ip, tcp, Buffer.from(payload, 'latin1')]);
  const record = Buffer.alloc(16);
  record.writeUInt32LE(Math.floor(us / 1e6), 0);
  record.writeUInt32LE(us % 1e6, 4);
  record.writeUInt32LE(packet.length, 8);
  record.writeUInt32LE(packet.length, 12);
  return Buffer.concat([record, packet]);
}

function pcap(frames: readonly Buffer[], linkType = 1): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(linkType, 20);
  return Buffer.concat([header, ...frames]);
}

describe('bench wire timing (tcpdump captures)', () => {
  it('pairs each request with the next answer on its connection and reads its status', () => {
    const capture = pcap([
      frame(1_000_000, 40001, SERVER, 'POST /v2/models/mlp/infer HTTP/1.1'),
      frame(1_000_500, 40002, SERVER, 'POST /v2/models/mlp/infer HTTP/1.1', 6),
      frame(1_000_800, SERVER, 40002, 'HTTP/1.1 429 Too Many Requests'),
      frame(1_004_000, SERVER, 40001, 'HTTP/1.1 200 OK'),
      frame(1_005_000, SERVER, 40003, 'HTTP/1.1 200 OK'), // no request seen on that connection: not paired
      frame(1_006_000, 40001, SERVER, 'POST /v2/models/mlp/infer HTTP/1.1'),
      frame(1_016_250, SERVER, 40001, 'HTTP/1.1 504 Gateway Timeout'),
    ]);
    const exchanges = pairExchanges(parsePcap(capture), SERVER);
    expect(exchanges.map((e) => e.status)).toEqual([429, 200, 504]);
    expect(exchanges[0]!.ms).toBeCloseTo(0.3, 6);
    expect(exchanges[1]!.ms).toBeCloseTo(4, 6);
    expect(exchanges[2]!.ms).toBeCloseTo(10.25, 6);
  });

  it('reads nanosecond captures, ignores what is not TCP, and refuses link types it cannot read', () => {
    const nano = pcap([frame(2_000_000, 40001, SERVER, 'POST /'), frame(2_000_001, SERVER, 40001, 'HTTP/1.1 200 OK')]);
    nano.writeUInt32LE(0xa1b23c4d, 0); // nanosecond magic: the same fields now count ns, so 1 unit = 1e-6 ms
    const [exchange] = pairExchanges(parsePcap(nano), SERVER);
    expect(exchange!.ms).toBeCloseTo(1e-6, 9);

    const udp = frame(1, 40001, SERVER, 'POST /');
    udp[16 + 14 + 9] = 17; // IPv4 protocol field: UDP
    expect(parsePcap(pcap([udp]))).toEqual([]);
    expect(() => parsePcap(pcap([], 105))).toThrow(/link type 105/);
    expect(parsePcap(Buffer.alloc(10))).toEqual([]);
  });
});
