import path from 'node:path';
import type { FerryConfig } from './config/index.ts';
import type { CodeRuntimeSettings } from './runtimes/python/index.ts';

/** The models-as-code runtimes' settings from `runtime.allow_code`, `runtime.python` and `runtime.code`. */
export function codeSettings(config: Readonly<FerryConfig>): CodeRuntimeSettings {
  const code = config.runtime.code;
  const venv = config.runtime.virtualenv;
  return {
    allowCode: config.runtime.allow_code,
    python: config.runtime.python,
    supervision: {
      loadTimeoutMs: code.load_timeout_seconds * 1000,
      requestTimeoutMs: code.request_timeout_seconds * 1000,
      pingIntervalMs: code.ping_interval_seconds * 1000,
      pingTimeoutMs: code.ping_timeout_seconds * 1000,
      maxRestarts: code.max_restarts,
      restartBackoffMs: code.restart_backoff_ms,
    },
    virtualenv: {
      cacheDir: path.resolve(venv.cache_dir ?? path.join(config.data_dir, 'virtualenvs')),
      indexUrl: venv.index_url,
      findLinks: venv.find_links,
      noIndex: venv.no_index,
      buildTimeoutMs: venv.build_timeout_seconds * 1000,
    },
  };
}
