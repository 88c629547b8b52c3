import type { AuditAction, AuditEntry, ModelVersion, RegisteredModel, Stage, VersionStatus } from '../entities.ts';
import type { Row } from './driver.ts';

// PostgreSQL returns BIGINT as a string; SQLite as a number. Registry numbers fit a double.
const num = (v: unknown): number => Number(v);
const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
const json = (v: unknown): unknown => JSON.parse(str(v) || 'null');

export function modelFromRow(row: Row, aliases: Readonly<Record<string, number>>): RegisteredModel {
  return {
    name: str(row['name']),
    description: str(row['description']),
    tags: json(row['tags']) as Record<string, string>,
    createdAt: num(row['created_at']),
    updatedAt: num(row['updated_at']),
    aliases,
  };
}

export function versionFromRow(row: Row, aliases: readonly string[]): ModelVersion {
  return {
    model: str(row['model']),
    version: num(row['version']),
    source: str(row['source']),
    digest: str(row['digest']),
    files: json(row['files']) as ModelVersion['files'],
    runtime: str(row['runtime']),
    signature: json(row['signature']),
    inputExample: json(row['input_example']),
    metrics: json(row['metrics']) as Record<string, number>,
    tags: json(row['tags']) as Record<string, string>,
    description: str(row['description']),
    runId: str(row['run_id']),
    stage: str(row['stage']) as Stage,
    status: str(row['status']) as VersionStatus,
    statusMessage: str(row['status_message']),
    createdAt: num(row['created_at']),
    createdBy: str(row['created_by']),
    updatedAt: num(row['updated_at']),
    aliases,
  };
}

export function auditFromRow(row: Row): AuditEntry {
  return {
    id: num(row['id']),
    at: num(row['at']),
    actor: str(row['actor']),
    action: str(row['action']) as AuditAction,
    model: str(row['model']),
    version: row['version'] === null || row['version'] === undefined ? null : num(row['version']),
    alias: row['alias'] === null || row['alias'] === undefined ? null : str(row['alias']),
    before: json(row['before']),
    after: json(row['after']),
  };
}

/** MLflow's LIKE: `%` any run, `_` one character; everything else literal. */
export function likeToRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  const body = [...pattern].map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, caseInsensitive ? 'is' : 's');
}

export function hasTags(tags: Readonly<Record<string, string>>, wanted: Readonly<Record<string, string>> | undefined): boolean {
  return !wanted || Object.entries(wanted).every(([k, v]) => tags[k] === v);
}
