import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { ferryError } from '../../errors/index.ts';
import type { Row, SqlDriver, SqlExecutor, SqlValue } from './driver.ts';

const LOCK_WAIT_MS = 5000;

/**
 * SQLite through Node's built-in `node:sqlite`: one connection, calls are synchronous, so transactions are queued
 * one after another in this process. WAL lets a CLI open the same file while a server runs: readers never wait,
 * and BEGIN IMMEDIATE takes the file's write lock up front (so two writers never deadlock upgrading a read lock).
 */
export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  readonly #db: DatabaseSync;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    try {
      this.#db = new DatabaseSync(file);
      // busy_timeout 0: a locked file is retried with timers below, never by blocking the event loop.
      this.#db.exec('PRAGMA busy_timeout = 0; PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL');
    } catch (error) {
      throw ferryError('FERRY_ERR_REGISTRY_UNAVAILABLE', { detail: `cannot open SQLite file '${file}': ${(error as Error).message}` }, error);
    }
  }

  query(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    return this.#serial(async () => this.#run(sql, params));
  }

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.#serial(async () => {
      await this.#begin();
      try {
        const result = await work({ query: async (sql, params = []) => this.#run(sql, params) });
        this.#db.exec('COMMIT');
        return result;
      } catch (error) {
        this.#db.exec('ROLLBACK');
        throw error;
      }
    });
  }

  async afterChange(): Promise<void> {
    // Nothing to push: SQLite readers poll the generation.
  }

  async listen(): Promise<undefined> {
    return undefined;
  }

  async close(): Promise<void> {
    await this.#serial(async () => {
      if (this.#db.isOpen) this.#db.close();
    });
  }

  /** BEGIN IMMEDIATE, retried while another connection (a CLI, another server) holds the write lock. */
  async #begin(): Promise<void> {
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
      try {
        this.#db.exec('BEGIN IMMEDIATE');
        return;
      } catch (error) {
        if (!/database is locked|SQLITE_BUSY/i.test((error as Error).message) || Date.now() > deadline) {
          throw ferryError('FERRY_ERR_REGISTRY_UNAVAILABLE', { detail: `SQLite: ${(error as Error).message}` }, error);
        }
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  #run(sql: string, params: readonly SqlValue[]): Row[] {
    const statement = this.#db.prepare(sql);
    return /^\s*(SELECT|WITH|PRAGMA)|RETURNING/i.test(sql)
      ? (statement.all(...params) as Row[])
      : (statement.run(...params), []);
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
