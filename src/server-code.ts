import type { FerryConfig } from './config/index.ts';
import type { CodeRuntimeSettings } from './runtimes/python/index.ts';

/** The models-as-code runtimes' settings from `runtime.allow_code`, `runtime.python` and `runtime.code`. */
export function codeSettings(config: Readonly<FerryConfig>): CodeRuntimeSettings {
  const code = config.runtime.code;
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
  };
}
