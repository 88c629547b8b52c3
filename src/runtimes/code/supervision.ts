import { isCount } from '../options.ts';
import { badOption } from '../options.ts';

/** How a version's workers are supervised: deadlines, the liveness ping, replacement and when to give up. */
export interface SupervisionSettings {
  /** Time a worker may take to start and load the model. */
  readonly loadTimeoutMs: number;
  /** Time one execution may take before its worker is killed and replaced (504 for that request). */
  readonly requestTimeoutMs: number;
  /** How often an idle worker is pinged; 0 = never. */
  readonly pingIntervalMs: number;
  /** Time a ping may take before the worker counts as hung. */
  readonly pingTimeoutMs: number;
  /** Replacements in a row (without a request answered between them) before the version goes to ERROR. */
  readonly maxRestarts: number;
  /** First wait before a replacement starts; doubled after each further crash in a row, up to 30 s. */
  readonly restartBackoffMs: number;
}

const SECONDS = [
  ['load_timeout_seconds', 'loadTimeoutMs'],
  ['request_timeout_seconds', 'requestTimeoutMs'],
  ['ping_interval_seconds', 'pingIntervalMs'],
  ['ping_timeout_seconds', 'pingTimeoutMs'],
] as const;

/** The `options:` keys that override supervision settings for one model. */
export const SUPERVISION_OPTIONS = [...SECONDS.map(([key]) => key), 'max_restarts', 'restart_backoff_ms'] as const;

/** Server-wide settings with model.yaml `options:` overrides (seconds, as in configuration). */
export function supervisionFor(model: string, base: SupervisionSettings, options: Readonly<Record<string, unknown>>): SupervisionSettings {
  const settings: Record<string, number> = { ...base };
  for (const [key, field] of SECONDS) {
    const value = options[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) badOption(model, options, key, 'a number of seconds');
    settings[field] = value * 1000;
  }
  const restarts = options['max_restarts'];
  if (restarts !== undefined) {
    if (!isCount(restarts)) badOption(model, options, 'max_restarts', 'a non-negative integer');
    settings['maxRestarts'] = restarts;
  }
  const backoff = options['restart_backoff_ms'];
  if (backoff !== undefined) {
    if (!isCount(backoff)) badOption(model, options, 'restart_backoff_ms', 'a non-negative integer (milliseconds)');
    settings['restartBackoffMs'] = backoff;
  }
  return settings as unknown as SupervisionSettings;
}
