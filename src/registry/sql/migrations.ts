import { ferryError } from '../../errors/index.ts';
import type { SqlDriver } from './driver.ts';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sqlite: readonly string[];
  readonly postgres: readonly string[];
}

/** The column types that differ between the two databases; every table is written once in these terms. */
interface Types {
  /** A 64-bit integer: timestamps in milliseconds, generations. */
  readonly int64: string;
  /** A double. */
  readonly float: string;
  /** An increasing 64-bit key. */
  readonly serialKey: string;
}

const TYPES: Record<'sqlite' | 'postgres', Types> = {
  sqlite: { int64: 'INTEGER', float: 'REAL', serialKey: 'INTEGER PRIMARY KEY AUTOINCREMENT' },
  postgres: { int64: 'BIGINT', float: 'DOUBLE PRECISION', serialKey: 'BIGSERIAL PRIMARY KEY' },
};

const APPEND_ONLY = 'the audit log is append-only';

/** A step whose tables are shared and whose dialect-specific statements (triggers) follow them. */
function step(version: number, name: string, tables: (t: Types) => string[], only: { sqlite?: string[]; postgres?: string[] } = {}): Migration {
  return {
    version, name,
    sqlite: [...tables(TYPES.sqlite), ...(only.sqlite ?? [])],
    postgres: [...tables(TYPES.postgres), ...(only.postgres ?? [])],
  };
}

/**
 * The registry's schema, one numbered step at a time. A step is never edited once released: a change is a new
 * step. JSON fields are TEXT in both databases, so the rows read the same everywhere.
 */
export const MIGRATIONS: readonly Migration[] = [
  step(1, 'models, versions, aliases, audit log', (t) => [
    `CREATE TABLE registry_meta (id INTEGER PRIMARY KEY CHECK (id = 1), generation ${t.int64} NOT NULL)`,
    `INSERT INTO registry_meta (id, generation) VALUES (1, 0)`,
    `CREATE TABLE registered_models (
        name TEXT PRIMARY KEY, description TEXT NOT NULL DEFAULT '', tags TEXT NOT NULL DEFAULT '{}',
        created_at ${t.int64} NOT NULL, updated_at ${t.int64} NOT NULL, next_version INTEGER NOT NULL DEFAULT 1)`,
    `CREATE TABLE model_versions (
        model TEXT NOT NULL REFERENCES registered_models (name) ON DELETE CASCADE ON UPDATE CASCADE,
        version INTEGER NOT NULL, source TEXT NOT NULL, digest TEXT NOT NULL DEFAULT '', files TEXT NOT NULL DEFAULT '[]',
        runtime TEXT NOT NULL DEFAULT '', signature TEXT NOT NULL DEFAULT 'null', input_example TEXT NOT NULL DEFAULT 'null',
        metrics TEXT NOT NULL DEFAULT '{}', tags TEXT NOT NULL DEFAULT '{}', description TEXT NOT NULL DEFAULT '',
        run_id TEXT NOT NULL DEFAULT '', stage TEXT NOT NULL DEFAULT 'None', status TEXT NOT NULL DEFAULT 'READY',
        status_message TEXT NOT NULL DEFAULT '', created_at ${t.int64} NOT NULL, created_by TEXT NOT NULL, updated_at ${t.int64} NOT NULL,
        PRIMARY KEY (model, version))`,
    `CREATE TABLE model_aliases (
        model TEXT NOT NULL, alias TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (model, alias),
        FOREIGN KEY (model, version) REFERENCES model_versions (model, version) ON DELETE CASCADE ON UPDATE CASCADE)`,
    `CREATE TABLE audit_log (
        id ${t.serialKey}, at ${t.int64} NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
        model TEXT NOT NULL, version INTEGER, alias TEXT, before TEXT NOT NULL, after TEXT NOT NULL)`,
    `CREATE INDEX audit_log_model ON audit_log (model, id)`,
  ], {
    sqlite: [
      `CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, '${APPEND_ONLY}'); END`,
      `CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, '${APPEND_ONLY}'); END`,
    ],
    postgres: [
      `CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '${APPEND_ONLY}'; END $$`,
      `CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`,
      `CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()`,
    ],
  }),
  step(2, 'inference graph state: bandit statistics per arm, traffic weights per router', (t) => [
    `CREATE TABLE graph_arm_stats (
        graph TEXT NOT NULL, router TEXT NOT NULL, arm TEXT NOT NULL, pulls ${t.float} NOT NULL, reward ${t.float} NOT NULL,
        PRIMARY KEY (graph, router, arm))`,
    `CREATE TABLE graph_traffic (
        graph TEXT NOT NULL, router TEXT NOT NULL, weights TEXT NOT NULL, updated_at ${t.int64} NOT NULL, PRIMARY KEY (graph, router))`,
  ]),
];

export const SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;

/**
 * Brings the database to SCHEMA_VERSION at start: the missing steps in order, with a row each in
 * registry_migrations, in one transaction (a failed step leaves the schema as it was). Several processes may start
 * at once: `lockStatement` (PostgreSQL: an advisory lock) makes the others wait and then find nothing to do. A
 * database newer than this Ferry is refused, not downgraded.
 */
export async function migrate(driver: SqlDriver, lockStatement?: string): Promise<number[]> {
  const applied: number[] = [];
  await driver.transaction(async (tx) => {
    if (lockStatement) await tx.query(lockStatement);
    await tx.query('CREATE TABLE IF NOT EXISTS registry_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
    const rows = await tx.query('SELECT version FROM registry_migrations');
    const done = new Set(rows.map((r) => Number(r['version'])));
    const newest = Math.max(0, ...done);
    if (newest > SCHEMA_VERSION) throw ferryError('FERRY_ERR_REGISTRY_SCHEMA', { found: newest, known: SCHEMA_VERSION });
    for (const step of MIGRATIONS) {
      if (done.has(step.version)) continue;
      for (const statement of step[driver.dialect]) await tx.query(statement);
      await tx.query('INSERT INTO registry_migrations (version, name, applied_at) VALUES (?, ?, ?)', [step.version, step.name, Date.now()]);
      applied.push(step.version);
    }
  });
  return applied;
}
