import pg from 'pg';
import { ferryError, isFerryError } from '../../errors/index.ts';
import type { Row, SqlDriver, SqlExecutor, SqlValue } from './driver.ts';

export interface PostgresOptions {
  readonly url: string;
  /** The schema the registry's tables live in (created when missing); `public` by default. */
  readonly schema?: string;
  readonly maxConnections?: number;
}

/** Connection-level failures: the registry is unreachable, not wrong (pg's SQLSTATE classes 08, 53, 57P). */
function unreachable(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return /Connection terminated|timeout exceeded when trying to connect/i.test((error as Error).message ?? '');
  return /^E[A-Z]+$/.test(code) || code.startsWith('08') || code.startsWith('53') || code.startsWith('57P');
}

function wrap(error: unknown): Error {
  if (isFerryError(error)) return error;
  if (unreachable(error)) return ferryError('FERRY_ERR_REGISTRY_UNAVAILABLE', { detail: `PostgreSQL: ${(error as Error).message}` }, error);
  return ferryError('FERRY_ERR_INTERNAL', { detail: `PostgreSQL: ${(error as Error).message}` }, error);
}

const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;

/** `?` placeholders (the shared SQL) become PostgreSQL's `$1, $2, ...`; the registry's SQL has no `?` in literals. */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/**
 * PostgreSQL through `pg`: a small pool whose connections see only the registry's schema, and one extra
 * connection per subscriber that LISTENs on the schema's channel. Each write transaction NOTIFYs at commit.
 */
export class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  readonly schema: string;
  readonly #pool: pg.Pool;
  readonly #url: string;
  readonly #channel: string;
  readonly #listeners = new Set<pg.Client>();

  private constructor(options: PostgresOptions) {
    this.schema = options.schema ?? 'public';
    this.#url = options.url;
    this.#channel = `ferry_registry_${this.schema}`.slice(0, 63);
    this.#pool = new pg.Pool({
      connectionString: options.url,
      max: options.maxConnections ?? 4,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 10_000,
      options: `-c search_path=${quote(this.schema)}`,
    });
    // An idle connection that the server drops must not take the process down: the next query reconnects.
    this.#pool.on('error', () => undefined);
  }

  /** Opens the pool and makes sure the schema exists. */
  static async open(options: PostgresOptions): Promise<PostgresDriver> {
    const driver = new PostgresDriver(options);
    try {
      await driver.#pool.query(`CREATE SCHEMA IF NOT EXISTS ${quote(driver.schema)}`);
    } catch (error) {
      // Two processes creating the schema at once: one wins, the other sees a duplicate, which is what it wanted.
      if (!['23505', '42P06'].includes((error as { code?: string }).code ?? '')) {
        await driver.#pool.end();
        throw wrap(error);
      }
    }
    return driver;
  }

  async query(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    try {
      return (await this.#pool.query(numbered(sql), params as SqlValue[])).rows as Row[];
    } catch (error) {
      throw wrap(error);
    }
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw wrap(error);
    }
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await work({
        query: async (sql, params = []) => {
          try {
            return (await client.query(numbered(sql), params as SqlValue[])).rows as Row[];
          } catch (error) {
            throw wrap(error);
          }
        },
      });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw wrap(error);
    } finally {
      client.release(broken);
    }
  }

  /** The schema's advisory lock, taken by migrations so that processes starting together migrate once. */
  get migrationLock(): string {
    return `SELECT pg_advisory_xact_lock(hashtext('ferry_registry:' || ${literal(this.schema)}))`;
  }

  async afterChange(tx: SqlExecutor, generation: number): Promise<void> {
    await tx.query('SELECT pg_notify(?, ?)', [this.#channel, String(generation)]);
  }

  async listen(listener: () => void, onError: (error: Error) => void): Promise<() => Promise<void>> {
    const client = new pg.Client({ connectionString: this.#url, connectionTimeoutMillis: 5000 });
    client.on('error', (error) => {
      this.#listeners.delete(client);
      onError(wrap(error));
    });
    client.on('end', () => {
      if (this.#listeners.delete(client)) onError(ferryError('FERRY_ERR_REGISTRY_UNAVAILABLE', { detail: 'PostgreSQL closed the LISTEN connection' }));
    });
    client.on('notification', (message) => {
      if (message.channel === this.#channel) listener();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${quote(this.#channel)}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw wrap(error);
    }
    this.#listeners.add(client);
    return async () => {
      if (this.#listeners.delete(client)) await client.end().catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    await Promise.all(listeners.map((client) => client.end().catch(() => undefined)));
    await this.#pool.end();
  }
}

function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
