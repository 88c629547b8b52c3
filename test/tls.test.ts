import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import { credentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcClient } from '../src/protocol/v2-grpc/index.ts';
import { scratchRepository, startFerry, type RunningFerry } from './helpers/server.ts';

/** A CA, two server certificates for 127.0.0.1 (a and b) and a client certificate, made with openssl now. */
function makeCertificates(dir: string): void {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=ferry test CA');
  for (const name of ['a', 'b', 'client']) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name === 'client' ? 'client' : 'localhost'}`);
    const ext = name === 'client' ? 'extendedKeyUsage=clientAuth' : 'subjectAltName=IP:127.0.0.1,DNS:localhost';
    execFileSync('sh', ['-c', `printf '%s\\n' '${ext}' > ${name}.ext`], { cwd: dir });
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
  }
}

/** The certificate a new TLS connection to `port` is shown (ALPN h2 for the gRPC port). */
function peerCertificate(port: number, dir: string, alpn?: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: '127.0.0.1', port, ca: readFileSync(path.join(dir, 'ca.crt')),
      cert: readFileSync(path.join(dir, 'client.crt')), key: readFileSync(path.join(dir, 'client.key')),
      ...(alpn ? { ALPNProtocols: [alpn] } : {}),
    }, () => {
      const certificate = socket.getPeerCertificate();
      socket.destroy();
      resolve(certificate);
    });
    socket.once('error', reject);
  });
}

function fingerprint(dir: string, name: string): string {
  return execFileSync('openssl', ['x509', '-in', path.join(dir, `${name}.crt`), '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' })
    .split('=')[1]!.trim();
}

function getOverTls(port: number, dir: string, withClientCert: boolean): Promise<{ status?: number; error?: string }> {
  return new Promise((resolve) => {
    const req = httpsRequest({
      host: '127.0.0.1', port, path: '/v2/health/live', ca: readFileSync(path.join(dir, 'ca.crt')), agent: false,
      ...(withClientCert ? { cert: readFileSync(path.join(dir, 'client.crt')), key: readFileSync(path.join(dir, 'client.key')) } : {}),
    }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode }));
    });
    req.on('error', (error) => resolve({ error: error.message }));
    req.end();
  });
}

async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

describe('TLS on the HTTP and gRPC ports', () => {
  let dir: string;
  let repository: Awaited<ReturnType<typeof scratchRepository>>;
  let ferry: RunningFerry;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ferry-tls-'));
    makeCertificates(dir);
    copyFileSync(path.join(dir, 'a.crt'), path.join(dir, 'server.crt'));
    copyFileSync(path.join(dir, 'a.key'), path.join(dir, 'server.key'));
    repository = await scratchRepository(['simple']);
    ferry = await startFerry({
      model_repository: repository.root,
      tls: { cert_file: path.join(dir, 'server.crt'), key_file: path.join(dir, 'server.key'), client_ca_file: path.join(dir, 'ca.crt'), reload_interval_ms: 100 },
    });
  }, 60_000);
  afterAll(async () => {
    await ferry?.stop();
    await repository?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves HTTPS to a client with a certificate and refuses one without (mutual TLS)', async () => {
    expect(await getOverTls(ferry.ports.httpPort, dir, true)).toEqual({ status: 200 });
    const refused = await getOverTls(ferry.ports.httpPort, dir, false);
    expect(refused.status).toBeUndefined();
    expect(refused.error).toMatch(/certificate|alert|socket hang up|ECONNRESET/i);
    // Plain HTTP gets no answer from a TLS port.
    await expect(fetch(`http://127.0.0.1:${ferry.ports.httpPort}/v2/health/live`)).rejects.toThrow();
  });

  it('serves gRPC over TLS to a client with a certificate and refuses one without', async () => {
    const ca = readFileSync(path.join(dir, 'ca.crt'));
    const address = `127.0.0.1:${ferry.ports.grpcPort}`;
    const mutual = grpcClient('inference.GRPCInferenceService', address, {}, credentials.createSsl(ca, readFileSync(path.join(dir, 'client.key')), readFileSync(path.join(dir, 'client.crt'))));
    const anonymous = grpcClient('inference.GRPCInferenceService', address, {}, credentials.createSsl(ca));
    try {
      expect(await mutual.call('ServerLive', {})).toEqual({ live: true });
      await expect(anonymous.call('ServerLive', {}, { deadline: Date.now() + 5000 })).rejects.toMatchObject({ code: 14 });
    } finally {
      mutual.close();
      anonymous.close();
    }
  });

  it('shows new connections the new certificate once the files change, on both ports', async () => {
    const [a, b] = [fingerprint(dir, 'a'), fingerprint(dir, 'b')];
    expect((await peerCertificate(ferry.ports.httpPort, dir)).fingerprint256).toBe(a);
    expect((await peerCertificate(ferry.ports.grpcPort!, dir, 'h2')).fingerprint256).toBe(a);
    copyFileSync(path.join(dir, 'b.key'), path.join(dir, 'server.key'));
    copyFileSync(path.join(dir, 'b.crt'), path.join(dir, 'server.crt'));
    expect(await eventually(async () => (await peerCertificate(ferry.ports.httpPort, dir)).fingerprint256 === b, 15_000)).toBe(true);
    expect(await eventually(async () => (await peerCertificate(ferry.ports.grpcPort!, dir, 'h2')).fingerprint256 === b, 15_000)).toBe(true);
    expect(await getOverTls(ferry.ports.httpPort, dir, true)).toEqual({ status: 200 });
  }, 40_000);
});
