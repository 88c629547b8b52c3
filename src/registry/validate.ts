import { ferryError } from '../errors/index.ts';
import { isValidModelName } from '../repository/index.ts';
import { STAGES, type Stage } from './entities.ts';

const ALIAS = /^[A-Za-z0-9_-]{1,255}$/;
const MAX_TAG_KEY = 250;
const MAX_TAG_VALUE = 5000;
const MAX_DESCRIPTION = 65_536;

function invalid(detail: string): never {
  throw ferryError('FERRY_ERR_REGISTRY_INVALID', { detail });
}

/** Registered models are served under their name, so they follow model names' rules (path-segment safe). */
export function checkModelName(name: unknown): string {
  if (typeof name !== 'string' || !isValidModelName(name)) {
    invalid(`model name '${String(name).slice(0, 64)}' must be 1-128 letters, digits, _ - . starting with a letter or digit`);
  }
  return name;
}

/**
 * Aliases as MLflow allows them (letters, digits, _ and -), except the names a `models:/` URI gives another
 * meaning: `latest`, `v<digits>` and plain numbers, which read as versions.
 */
export function checkAlias(alias: unknown): string {
  if (typeof alias !== 'string' || !ALIAS.test(alias)) invalid(`alias '${String(alias).slice(0, 64)}' must be 1-255 letters, digits, _ or -`);
  if (alias.toLowerCase() === 'latest' || /^v?\d+$/i.test(alias)) invalid(`alias '${alias}' is reserved: it reads as a version`);
  return alias;
}

export function checkVersion(version: unknown): number {
  const n = typeof version === 'string' && /^\d{1,15}$/.test(version) ? Number(version) : version;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) invalid(`version '${String(version).slice(0, 32)}' must be a positive integer`);
  return n;
}

export function checkStage(stage: unknown): Stage {
  // MLflow accepts any case ("production") and answers with the canonical one.
  const found = typeof stage === 'string' ? STAGES.find((s) => s.toLowerCase() === stage.toLowerCase()) : undefined;
  if (!found) invalid(`stage '${String(stage).slice(0, 32)}' must be one of ${STAGES.join(', ')}`);
  return found;
}

export function checkTag(key: unknown, value?: unknown): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_TAG_KEY) invalid(`tag key must be 1-${MAX_TAG_KEY} characters`);
  if (value !== undefined && (typeof value !== 'string' || value.length > MAX_TAG_VALUE)) invalid(`tag '${key}' value must be a string of at most ${MAX_TAG_VALUE} characters`);
}

export function checkTags(tags: unknown): Readonly<Record<string, string>> {
  if (tags === undefined) return {};
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) invalid('tags must be an object of strings');
  for (const [k, v] of Object.entries(tags)) checkTag(k, v);
  return tags as Record<string, string>;
}

export function checkDescription(description: unknown): string {
  if (description === undefined) return '';
  if (typeof description !== 'string' || description.length > MAX_DESCRIPTION) invalid(`description must be a string of at most ${MAX_DESCRIPTION} characters`);
  return description;
}

export function checkMetrics(metrics: unknown): Readonly<Record<string, number>> {
  if (metrics === undefined) return {};
  if (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics)) invalid('metrics must be an object of numbers');
  for (const [k, v] of Object.entries(metrics)) {
    if (k.length === 0 || k.length > MAX_TAG_KEY || typeof v !== 'number' || !Number.isFinite(v)) invalid(`metric '${k.slice(0, 64)}' must be a finite number`);
  }
  return metrics as Record<string, number>;
}

/** `sha256:` and 64 lowercase hex digits. */
export function checkDigest(digest: unknown): string {
  if (typeof digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(digest)) invalid(`digest '${String(digest).slice(0, 80)}' must be sha256:<64 hex digits>`);
  return digest;
}
