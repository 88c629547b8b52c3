import type { AuditEntry, ModelVersion, RegisteredModel } from '../registry/index.ts';

/** Ferry's management API speaks snake_case JSON, like the rest of its configuration. */
export function modelView(m: RegisteredModel) {
  return { name: m.name, description: m.description, tags: m.tags, aliases: m.aliases, created_at: m.createdAt, updated_at: m.updatedAt };
}

export function versionView(v: ModelVersion) {
  return {
    model: v.model, version: v.version, source: v.source, digest: v.digest, files: v.files, runtime: v.runtime,
    signature: v.signature, input_example: v.inputExample, metrics: v.metrics, tags: v.tags, description: v.description,
    run_id: v.runId, stage: v.stage, status: v.status, status_message: v.statusMessage, aliases: v.aliases,
    created_at: v.createdAt, created_by: v.createdBy, updated_at: v.updatedAt,
  };
}

export function auditView(e: AuditEntry) {
  return { id: e.id, at: e.at, actor: e.actor, action: e.action, model: e.model, version: e.version, alias: e.alias, before: e.before, after: e.after };
}
