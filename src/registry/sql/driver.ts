/** A value bound to a `?` placeholder. */
export type SqlValue = string | number | null;

export type Row = Record<string, unknown>;

export interface SqlExecutor {
  /** Runs one statement with `?` placeholders and returns its rows (empty for statements without any). */
  query(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
}

/**
 * The little a SQL registry store needs from a database: statements, transactions that run one at a time against
 * the registry's writer lock, and (PostgreSQL) notifications. The SQL itself is shared; dialects differ only in
 * the migrations and the few statements the store asks the driver for.
 */
export interface SqlDriver extends SqlExecutor {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs `work` in a transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Statements of this dialect that run inside the write transaction after a change (PostgreSQL: NOTIFY). */
  afterChange(tx: SqlExecutor, generation: number): Promise<void>;
  /** Calls `listener` on each change another connection commits; undefined where the database cannot push. */
  listen(listener: () => void, onError: (error: Error) => void): Promise<(() => Promise<void>) | undefined>;
  close(): Promise<void>;
}
