import { ferryError } from '../../errors/index.ts';
import type {
  Actor, AuditAction, GraphArmStats, AuditEntry, AuditQuery, ModelQuery, ModelVersion, NewModel, NewVersion, RegisteredModel, Stage, VersionQuery,
} from '../entities.ts';
import type { RegistryStore } from '../store.ts';
import {
  checkAlias, checkDescription, checkDigest, checkMetrics, checkModelName, checkStage, checkTag, checkTags, checkVersion,
} from '../validate.ts';
import type { SqlDriver, SqlExecutor, SqlValue } from './driver.ts';
import { auditFromRow, hasTags, likeToRegExp, modelFromRow, versionFromRow } from './rows.ts';

interface AuditRecord {
  readonly action: AuditAction;
  readonly model: string;
  readonly version?: number;
  readonly alias?: string;
  readonly before: unknown;
  readonly after: unknown;
}

const DEFAULT_LIMIT = 1000;
const MAX_LIMIT = 10_000;

/**
 * The registry store over SQL, shared by SQLite and PostgreSQL: the driver supplies the connection and the
 * dialect's few differences. Writes go through #write: one transaction that bumps the generation (which also
 * serialises writers), makes the change, appends its audit entries and tells listeners.
 */
export class SqlRegistryStore implements RegistryStore {
  readonly #db: SqlDriver;

  constructor(driver: SqlDriver) {
    this.#db = driver;
  }

  get kind(): string {
    return this.#db.dialect;
  }

  // --- registered models -----------------------------------------------------------------------------------

  async createModel(input: NewModel, actor: Actor): Promise<RegisteredModel> {
    const name = checkModelName(input.name);
    const description = checkDescription(input.description);
    const tags = checkTags(input.tags);
    return this.#write(actor, async (tx, now) => {
      if (await this.#modelRow(tx, name)) throw ferryError('FERRY_ERR_REGISTRY_MODEL_EXISTS', { model: name });
      await tx.query('INSERT INTO registered_models (name, description, tags, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
        [name, description, JSON.stringify(tags), now, now]);
      const after = await this.#model(tx, name);
      return { result: after, audit: [{ action: 'model.create', model: name, before: null, after }] };
    });
  }

  async getModel(name: string): Promise<RegisteredModel> {
    return this.#model(this.#db, name);
  }

  async listModels(query: ModelQuery = {}): Promise<RegisteredModel[]> {
    const rows = query.name === undefined
      ? await this.#db.query('SELECT * FROM registered_models ORDER BY name')
      : await this.#db.query('SELECT * FROM registered_models WHERE name = ?', [query.name]);
    const like = query.nameLike === undefined ? undefined : likeToRegExp(query.nameLike, false);
    const ilike = query.nameILike === undefined ? undefined : likeToRegExp(query.nameILike, true);
    const aliases = await this.#aliasesByModel(this.#db);
    return page(rows
      .map((row) => modelFromRow(row, aliases.get(String(row['name'])) ?? {}))
      .filter((m) => (!like || like.test(m.name)) && (!ilike || ilike.test(m.name)) && hasTags(m.tags, query.tags)), query);
  }

  async updateModel(name: string, change: { readonly description?: string }, actor: Actor): Promise<RegisteredModel> {
    const description = change.description === undefined ? undefined : checkDescription(change.description);
    return this.#write(actor, async (tx, now) => {
      const before = await this.#model(tx, name);
      if (description !== undefined) await tx.query('UPDATE registered_models SET description = ?, updated_at = ? WHERE name = ?', [description, now, name]);
      const after = await this.#model(tx, name);
      return { result: after, audit: [{ action: 'model.update', model: name, before, after }] };
    });
  }

  async renameModel(name: string, newName: string, actor: Actor): Promise<RegisteredModel> {
    checkModelName(newName);
    return this.#write(actor, async (tx, now) => {
      const before = await this.#model(tx, name);
      if (await this.#modelRow(tx, newName)) throw ferryError('FERRY_ERR_REGISTRY_MODEL_EXISTS', { model: newName });
      // Versions and aliases follow through ON UPDATE CASCADE.
      await tx.query('UPDATE registered_models SET name = ?, updated_at = ? WHERE name = ?', [newName, now, name]);
      const after = await this.#model(tx, newName);
      return { result: after, audit: [{ action: 'model.rename', model: name, before, after }] };
    });
  }

  async deleteModel(name: string, actor: Actor): Promise<void> {
    return this.#write(actor, async (tx) => {
      const before = await this.#model(tx, name);
      await tx.query('DELETE FROM model_aliases WHERE model = ?', [name]);
      await tx.query('DELETE FROM model_versions WHERE model = ?', [name]);
      await tx.query('DELETE FROM registered_models WHERE name = ?', [name]);
      return { result: undefined, audit: [{ action: 'model.delete', model: name, before, after: null }] };
    });
  }

  async setModelTag(name: string, key: string, value: string, actor: Actor): Promise<RegisteredModel> {
    checkTag(key, value);
    return this.#write(actor, async (tx, now) => {
      const before = await this.#model(tx, name);
      await tx.query('UPDATE registered_models SET tags = ?, updated_at = ? WHERE name = ?', [JSON.stringify({ ...before.tags, [key]: value }), now, name]);
      const after = await this.#model(tx, name);
      return { result: after, audit: [{ action: 'model.tag.set', model: name, before, after }] };
    });
  }

  async deleteModelTag(name: string, key: string, actor: Actor): Promise<RegisteredModel> {
    checkTag(key);
    return this.#write(actor, async (tx, now) => {
      const before = await this.#model(tx, name);
      const { [key]: _removed, ...rest } = before.tags;
      await tx.query('UPDATE registered_models SET tags = ?, updated_at = ? WHERE name = ?', [JSON.stringify(rest), now, name]);
      const after = await this.#model(tx, name);
      return { result: after, audit: [{ action: 'model.tag.delete', model: name, before, after }] };
    });
  }

  // --- versions --------------------------------------------------------------------------------------------

  async createVersion(model: string, input: NewVersion, actor: Actor): Promise<ModelVersion> {
    if (typeof input.source !== 'string' || input.source.length === 0 || input.source.length > 4096) {
      throw ferryError('FERRY_ERR_REGISTRY_INVALID', { detail: 'source must be a non-empty URI of at most 4096 characters' });
    }
    const digest = input.digest === undefined || input.digest === '' ? '' : checkDigest(input.digest);
    const tags = checkTags(input.tags);
    const metrics = checkMetrics(input.metrics);
    const description = checkDescription(input.description);
    return this.#write(actor, async (tx, now) => {
      await this.#model(tx, model);
      const [next] = await tx.query('UPDATE registered_models SET next_version = next_version + 1, updated_at = ? WHERE name = ? RETURNING next_version', [now, model]);
      const version = Number(next!['next_version']) - 1;
      await tx.query(
        `INSERT INTO model_versions (model, version, source, digest, files, runtime, signature, input_example, metrics, tags,
          description, run_id, stage, status, status_message, created_at, created_by, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'None', ?, ?, ?, ?, ?)`,
        [model, version, input.source, digest, JSON.stringify(input.files ?? []), input.runtime ?? '', JSON.stringify(input.signature ?? null),
          JSON.stringify(input.inputExample ?? null), JSON.stringify(metrics), JSON.stringify(tags), description, input.runId ?? '',
          input.status ?? (digest ? 'READY' : 'PENDING_REGISTRATION'), input.statusMessage ?? '', now, actor.name, now],
      );
      const after = await this.#version(tx, model, version);
      return { result: after, audit: [{ action: 'version.create', model, version, before: null, after }] };
    });
  }

  async getVersion(model: string, version: number): Promise<ModelVersion> {
    return this.#version(this.#db, model, version);
  }

  async listVersions(query: VersionQuery = {}): Promise<ModelVersion[]> {
    if (query.models?.length === 0 || query.stages?.length === 0) return [];
    const where = new Clauses();
    where.add('model = ?', query.model);
    where.addIn('model', query.models);
    where.add('version = ?', query.version);
    where.add('source = ?', query.source);
    where.add('run_id = ?', query.runId);
    where.addIn('stage', query.stages);
    const rows = await this.#db.query(`SELECT * FROM model_versions ${where.sql(' AND ', 'WHERE ')} ORDER BY model, version DESC`, where.params);
    const aliases = await this.#aliasesByVersion(this.#db);
    return page(rows
      .map((row) => versionFromRow(row, aliases.get(`${String(row['model'])}\u0000${Number(row['version'])}`) ?? []))
      .filter((v) => hasTags(v.tags, query.tags)), query);
  }

  async updateVersion(
    model: string, version: number,
    change: { readonly description?: string; readonly digest?: string; readonly files?: ModelVersion['files']; readonly status?: ModelVersion['status']; readonly statusMessage?: string },
    actor: Actor,
  ): Promise<ModelVersion> {
    const sets = new Clauses();
    sets.add('description = ?', change.description === undefined ? undefined : checkDescription(change.description));
    sets.add('digest = ?', change.digest === undefined ? undefined : checkDigest(change.digest));
    sets.add('files = ?', change.files === undefined ? undefined : JSON.stringify(change.files));
    sets.add('status = ?', change.status);
    sets.add('status_message = ?', change.statusMessage);
    return this.#write(actor, async (tx, now) => {
      const before = await this.#version(tx, model, version);
      if (!sets.empty) await tx.query(`UPDATE model_versions SET ${sets.sql(', ')}, updated_at = ? WHERE model = ? AND version = ?`, [...sets.params, now, model, version]);
      const after = await this.#version(tx, model, version);
      return { result: after, audit: [{ action: 'version.update', model, version, before, after }] };
    });
  }

  async deleteVersion(model: string, version: number, actor: Actor): Promise<void> {
    return this.#write(actor, async (tx, now) => {
      const before = await this.#version(tx, model, version);
      await tx.query('DELETE FROM model_aliases WHERE model = ? AND version = ?', [model, version]);
      await tx.query('DELETE FROM model_versions WHERE model = ? AND version = ?', [model, version]);
      await tx.query('UPDATE registered_models SET updated_at = ? WHERE name = ?', [now, model]);
      return { result: undefined, audit: [{ action: 'version.delete', model, version, before, after: null }] };
    });
  }

  async setVersionTag(model: string, version: number, key: string, value: string, actor: Actor): Promise<ModelVersion> {
    checkTag(key, value);
    return this.#write(actor, async (tx, now) => {
      const before = await this.#version(tx, model, version);
      await tx.query('UPDATE model_versions SET tags = ?, updated_at = ? WHERE model = ? AND version = ?', [JSON.stringify({ ...before.tags, [key]: value }), now, model, version]);
      const after = await this.#version(tx, model, version);
      return { result: after, audit: [{ action: 'version.tag.set', model, version, before, after }] };
    });
  }

  async deleteVersionTag(model: string, version: number, key: string, actor: Actor): Promise<ModelVersion> {
    checkTag(key);
    return this.#write(actor, async (tx, now) => {
      const before = await this.#version(tx, model, version);
      const { [key]: _removed, ...rest } = before.tags;
      await tx.query('UPDATE model_versions SET tags = ?, updated_at = ? WHERE model = ? AND version = ?', [JSON.stringify(rest), now, model, version]);
      const after = await this.#version(tx, model, version);
      return { result: after, audit: [{ action: 'version.tag.delete', model, version, before, after }] };
    });
  }

  async transitionStage(model: string, version: number, stage: Stage, archiveExisting: boolean, actor: Actor): Promise<ModelVersion> {
    const target = checkStage(stage);
    return this.#write(actor, async (tx, now) => {
      const before = await this.#version(tx, model, version);
      const audit: AuditRecord[] = [];
      if (archiveExisting && target !== 'None' && target !== 'Archived') {
        const others = await tx.query('SELECT version FROM model_versions WHERE model = ? AND stage = ? AND version <> ? ORDER BY version', [model, target, version]);
        for (const row of others) {
          const other = Number(row['version']);
          const otherBefore = await this.#version(tx, model, other);
          await tx.query("UPDATE model_versions SET stage = 'Archived', updated_at = ? WHERE model = ? AND version = ?", [now, model, other]);
          audit.push({ action: 'version.stage', model, version: other, before: otherBefore, after: await this.#version(tx, model, other) });
        }
      }
      await tx.query('UPDATE model_versions SET stage = ?, updated_at = ? WHERE model = ? AND version = ?', [target, now, model, version]);
      const after = await this.#version(tx, model, version);
      audit.unshift({ action: 'version.stage', model, version, before, after });
      return { result: after, audit };
    });
  }

  // --- aliases ---------------------------------------------------------------------------------------------

  async setAlias(model: string, alias: string, version: number, actor: Actor): Promise<ModelVersion> {
    checkAlias(alias);
    checkVersion(version);
    return this.#write(actor, async (tx, now) => {
      await this.#version(tx, model, version);
      const [current] = await tx.query('SELECT version FROM model_aliases WHERE model = ? AND alias = ?', [model, alias]);
      const before = current ? { version: Number(current['version']) } : null;
      if (current) await tx.query('UPDATE model_aliases SET version = ? WHERE model = ? AND alias = ?', [version, model, alias]);
      else await tx.query('INSERT INTO model_aliases (model, alias, version) VALUES (?, ?, ?)', [model, alias, version]);
      await tx.query('UPDATE registered_models SET updated_at = ? WHERE name = ?', [now, model]);
      return { result: await this.#version(tx, model, version), audit: [{ action: 'alias.set', model, version, alias, before, after: { version } }] };
    });
  }

  async deleteAlias(model: string, alias: string, actor: Actor): Promise<void> {
    return this.#write(actor, async (tx, now) => {
      await this.#model(tx, model);
      const [current] = await tx.query('SELECT version FROM model_aliases WHERE model = ? AND alias = ?', [model, alias]);
      if (!current) throw ferryError('FERRY_ERR_REGISTRY_ALIAS_NOT_FOUND', { model, alias });
      await tx.query('DELETE FROM model_aliases WHERE model = ? AND alias = ?', [model, alias]);
      await tx.query('UPDATE registered_models SET updated_at = ? WHERE name = ?', [now, model]);
      const version = Number(current['version']);
      return { result: undefined, audit: [{ action: 'alias.delete', model, version, alias, before: { version }, after: null }] };
    });
  }

  async getVersionByAlias(model: string, alias: string): Promise<ModelVersion> {
    await this.#model(this.#db, model);
    const [row] = await this.#db.query('SELECT version FROM model_aliases WHERE model = ? AND alias = ?', [model, alias]);
    if (!row) throw ferryError('FERRY_ERR_REGISTRY_ALIAS_NOT_FOUND', { model, alias });
    return this.#version(this.#db, model, Number(row['version']));
  }

  // --- inference-graph state -------------------------------------------------------------------------------

  async addGraphArmStats(graph: string, deltas: readonly GraphArmStats[]): Promise<void> {
    if (deltas.length === 0) return;
    await this.#db.transaction(async (tx) => {
      for (const d of deltas) {
        await tx.query(
          `INSERT INTO graph_arm_stats (graph, router, arm, pulls, reward) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (graph, router, arm) DO UPDATE SET pulls = graph_arm_stats.pulls + excluded.pulls, reward = graph_arm_stats.reward + excluded.reward`,
          [graph, d.router, d.arm, d.pulls, d.reward]);
      }
    });
  }

  async graphArmStats(graph: string): Promise<GraphArmStats[]> {
    const rows = await this.#db.query('SELECT router, arm, pulls, reward FROM graph_arm_stats WHERE graph = ? ORDER BY router, arm', [graph]);
    return rows.map((r) => ({ router: String(r['router']), arm: String(r['arm']), pulls: Number(r['pulls']), reward: Number(r['reward']) }));
  }

  async setGraphTraffic(graph: string, router: string, weights: Readonly<Record<string, number>>, action: string, actor: Actor): Promise<void> {
    return this.#write(actor, async (tx, now) => {
      const [current] = await tx.query('SELECT weights FROM graph_traffic WHERE graph = ? AND router = ?', [graph, router]);
      const before = current ? JSON.parse(String(current['weights'])) as unknown : null;
      const text = JSON.stringify(weights);
      if (current) await tx.query('UPDATE graph_traffic SET weights = ?, updated_at = ? WHERE graph = ? AND router = ?', [text, now, graph, router]);
      else await tx.query('INSERT INTO graph_traffic (graph, router, weights, updated_at) VALUES (?, ?, ?, ?)', [graph, router, text, now]);
      return { result: undefined, audit: [{ action: `graph.${action}`, model: graph, alias: router, before, after: weights }] };
    });
  }

  async graphTraffic(graph: string): Promise<Record<string, Record<string, number>>> {
    const rows = await this.#db.query('SELECT router, weights FROM graph_traffic WHERE graph = ?', [graph]);
    return Object.fromEntries(rows.map((r) => [String(r['router']), JSON.parse(String(r['weights'])) as Record<string, number>]));
  }

  // --- audit and changes -----------------------------------------------------------------------------------

  async audit(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const where = new Clauses();
    where.add('model = ?', query.model);
    where.add('alias = ?', query.alias);
    where.add('id > ?', query.afterId);
    where.add('id < ?', query.beforeId);
    const limit = Math.min(Math.max(1, query.limit ?? DEFAULT_LIMIT), MAX_LIMIT);
    const rows = await this.#db.query(
      `SELECT * FROM audit_log ${where.sql(' AND ', 'WHERE ')} ORDER BY id ${query.ascending ? 'ASC' : 'DESC'} LIMIT ${limit}`, where.params);
    return rows.map(auditFromRow);
  }

  async lastChangeId(): Promise<number> {
    const [row] = await this.#db.query('SELECT generation FROM registry_meta WHERE id = 1');
    return Number(row?.['generation'] ?? 0);
  }

  subscribe(listener: () => void, onError: (error: Error) => void): Promise<(() => Promise<void>) | undefined> {
    return this.#db.listen(listener, onError);
  }

  close(): Promise<void> {
    return this.#db.close();
  }

  // --- internals -------------------------------------------------------------------------------------------

  async #write<T>(actor: Actor, work: (tx: SqlExecutor, now: number) => Promise<{ result: T; audit: readonly AuditRecord[] }>): Promise<T> {
    if (typeof actor?.name !== 'string' || actor.name.length === 0) throw ferryError('FERRY_ERR_INTERNAL', { detail: 'a registry write without an actor' });
    return this.#db.transaction(async (tx) => {
      const [meta] = await tx.query('UPDATE registry_meta SET generation = generation + 1 WHERE id = 1 RETURNING generation');
      const now = Date.now();
      const { result, audit } = await work(tx, now);
      for (const entry of audit) {
        await tx.query('INSERT INTO audit_log (at, actor, action, model, version, alias, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          [now, actor.name, entry.action, entry.model, entry.version ?? null, entry.alias ?? null, JSON.stringify(entry.before ?? null), JSON.stringify(entry.after ?? null)]);
      }
      await this.#db.afterChange(tx, Number(meta!['generation']));
      return result;
    });
  }

  async #modelRow(db: SqlExecutor, name: string) {
    const [row] = await db.query('SELECT * FROM registered_models WHERE name = ?', [name]);
    return row;
  }

  async #model(db: SqlExecutor, name: string): Promise<RegisteredModel> {
    const row = await this.#modelRow(db, name);
    if (!row) throw ferryError('FERRY_ERR_REGISTRY_MODEL_NOT_FOUND', { model: String(name).slice(0, 128) });
    const aliases = await db.query('SELECT alias, version FROM model_aliases WHERE model = ? ORDER BY alias', [name]);
    return modelFromRow(row, Object.fromEntries(aliases.map((a) => [String(a['alias']), Number(a['version'])])));
  }

  async #version(db: SqlExecutor, model: string, version: number): Promise<ModelVersion> {
    const [row] = await db.query('SELECT * FROM model_versions WHERE model = ? AND version = ?', [model, version]);
    if (!row) {
      await this.#model(db, model);
      throw ferryError('FERRY_ERR_REGISTRY_VERSION_NOT_FOUND', { model, version });
    }
    const aliases = await db.query('SELECT alias FROM model_aliases WHERE model = ? AND version = ? ORDER BY alias', [model, version]);
    return versionFromRow(row, aliases.map((a) => String(a['alias'])));
  }

  async #aliasesByModel(db: SqlExecutor): Promise<Map<string, Record<string, number>>> {
    const out = new Map<string, Record<string, number>>();
    for (const row of await db.query('SELECT model, alias, version FROM model_aliases ORDER BY model, alias')) {
      const model = String(row['model']);
      out.set(model, { ...out.get(model), [String(row['alias'])]: Number(row['version']) });
    }
    return out;
  }

  async #aliasesByVersion(db: SqlExecutor): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const row of await db.query('SELECT model, alias, version FROM model_aliases ORDER BY model, alias')) {
      const key = `${String(row['model'])}\u0000${Number(row['version'])}`;
      out.set(key, [...(out.get(key) ?? []), String(row['alias'])]);
    }
    return out;
  }
}

/** SQL fragments with their parameters, each added only when its value is given. */
class Clauses {
  readonly #parts: string[] = [];
  readonly params: SqlValue[] = [];

  get empty(): boolean {
    return this.#parts.length === 0;
  }

  add(fragment: string, value: SqlValue | undefined): void {
    if (value === undefined) return;
    this.#parts.push(fragment);
    this.params.push(value);
  }

  addIn(column: string, values: readonly SqlValue[] | undefined): void {
    if (values === undefined) return;
    this.#parts.push(`${column} IN (${values.map(() => '?').join(', ')})`);
    this.params.push(...values);
  }

  sql(separator: string, prefix = ''): string {
    return this.empty ? '' : `${prefix}${this.#parts.join(separator)}`;
  }
}

function page<T>(items: T[], query: { readonly limit?: number; readonly offset?: number }): T[] {
  const offset = Math.max(0, query.offset ?? 0);
  const limit = Math.min(Math.max(1, query.limit ?? MAX_LIMIT), MAX_LIMIT);
  return items.slice(offset, offset + limit);
}
