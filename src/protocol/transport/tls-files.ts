import { readFileSync, statSync } from 'node:fs';
import type { SecureContextOptions, TlsOptions } from 'node:tls';

export interface TlsFileSettings {
  readonly certFile: string;
  readonly keyFile: string;
  /** Client certificates must chain to these CAs: every client must present one (mutual TLS). */
  readonly clientCaFile?: string | undefined;
  /** How often the files are checked for changes. */
  readonly reloadIntervalMs: number;
}

/** What a TLS server is made with: the files' contents, and client certificates required when a client CA is set. */
export function tlsServerOptions(settings: TlsFileSettings): TlsOptions {
  const mutual = settings.clientCaFile !== undefined;
  return { ...readContext(settings), requestCert: mutual, rejectUnauthorized: mutual };
}

function readContext(settings: TlsFileSettings): SecureContextOptions {
  return {
    cert: readFileSync(settings.certFile),
    key: readFileSync(settings.keyFile),
    ...(settings.clientCaFile !== undefined ? { ca: readFileSync(settings.clientCaFile) } : {}),
  };
}

/** A fingerprint of the files' state: a change of content by rewrite or rename (a Kubernetes secret's swap) shows. */
function stamp(settings: TlsFileSettings): string {
  return [settings.certFile, settings.keyFile, settings.clientCaFile].filter((f) => f !== undefined)
    .map((file) => {
      const s = statSync(file);
      return `${s.ino}:${s.size}:${s.mtimeMs}`;
    }).join('|');
}

/**
 * Watches the certificate, key and client CA files and hands a new context to `apply` when they change; new
 * connections get it, open ones keep theirs. A change that does not load (a key that does not match the
 * certificate, a file half-written) is reported to `onError` and the current context stays.
 */
export function watchTlsFiles(settings: TlsFileSettings, apply: (context: SecureContextOptions) => void, onError: (error: Error) => void): () => void {
  let last = stamp(settings);
  const timer = setInterval(() => {
    try {
      const now = stamp(settings);
      if (now === last) return;
      apply(readContext(settings));
      last = now;
    } catch (error) {
      onError(error as Error);
    }
  }, settings.reloadIntervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
