import type { FastifyInstance } from 'fastify';
import { ferryError } from '../../errors/index.ts';

/** What Ferry's own configuration says about tracing and logging, for Triton's trace and logging extensions. */
export interface ServerSettings {
  /** `tracing.enabled`: OpenTelemetry traces exported over OTLP. */
  readonly tracing: boolean;
  /** `log_level`. */
  readonly logLevel: string;
}

const SHARED_MEMORY_DETAIL = 'tensors travel in the request and response bodies (use the binary tensor extension for large ones)';

/**
 * Triton's trace and logging extensions, read-only: GET answers how Ferry traces and logs (set in its configuration,
 * `tracing.enabled` and `log_level`); changing them at run time is refused with a clear error. The shared-memory
 * extensions are not implemented: every route under them answers so, and server metadata does not list them.
 */
export function settingsRoutes(app: FastifyInstance, settings: ServerSettings): void {
  const trace = () => ({
    trace_level: [settings.tracing ? 'TIMESTAMPS' : 'OFF'],
    trace_rate: '1',
    trace_count: '-1',
    log_frequency: '0',
    trace_file: '',
    trace_mode: 'opentelemetry',
  });
  app.get('/v2/trace/setting', async () => trace());
  app.get('/v2/models/:model/trace/setting', async () => trace());
  const traceChange = async () => {
    throw ferryError('FERRY_ERR_EXTENSION_UNSUPPORTED', {
      extension: 'changing trace settings at run time',
      detail: 'tracing is set in the configuration (tracing.enabled, and the OTEL_* variables for sampling and export)',
    });
  };
  app.post('/v2/trace/setting', traceChange);
  app.post('/v2/models/:model/trace/setting', traceChange);

  const level = settings.logLevel;
  const at = (levels: readonly string[]) => levels.includes(level);
  app.get('/v2/logging', async () => ({
    log_file: '',
    log_info: at(['trace', 'debug', 'info']),
    log_warning: at(['trace', 'debug', 'info', 'warn']),
    log_error: at(['trace', 'debug', 'info', 'warn', 'error']),
    log_verbose_level: level === 'trace' ? 2 : level === 'debug' ? 1 : 0,
    log_format: 'default',
  }));
  app.post('/v2/logging', async () => {
    throw ferryError('FERRY_ERR_EXTENSION_UNSUPPORTED', { extension: 'changing log settings at run time', detail: 'logging is set in the configuration (log_level / FERRY_LOG_LEVEL)' });
  });

  for (const kind of ['systemsharedmemory', 'cudasharedmemory']) {
    const refuse = async () => {
      throw ferryError('FERRY_ERR_EXTENSION_UNSUPPORTED', { extension: kind === 'cudasharedmemory' ? 'CUDA shared memory' : 'system shared memory', detail: SHARED_MEMORY_DETAIL });
    };
    // The extension's calls are GET (status) and POST (register, unregister).
    app.get(`/v2/${kind}/*`, refuse);
    app.post(`/v2/${kind}/*`, refuse);
  }
}
