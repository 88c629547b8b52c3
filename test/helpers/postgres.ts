import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { it } from 'vitest';

/** FERRY_TEST_PG_URL, or the loopback server with trust auth. */
export const PG_URL = process.env.FERRY_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Whether PostgreSQL answers; prints why tests skip, and under CI=true adds a failing test instead. */
export async function postgresReachable(what: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  let reason: string | undefined;
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    reason = `PostgreSQL at ${PG_URL} is unreachable (${(error as Error).message})`;
  } finally {
    await client.end().catch(() => undefined);
  }
  if (reason === undefined) return true;
  console.warn(`skipping ${what}: ${reason} (set FERRY_TEST_PG_URL)`);
  if (process.env.CI === 'true') {
    it(`reaches PostgreSQL for ${what} (required under CI)`, () => {
      throw new Error(`${reason}: CI=true requires the real PostgreSQL`);
    });
  }
  return false;
}

/** A schema name no other test run uses; drop it with dropSchemas. */
export function randomSchema(): string {
  return `ferry_test_${randomBytes(6).toString('hex')}`;
}

export async function dropSchemas(schemas: readonly string[]): Promise<void> {
  if (schemas.length === 0) return;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** The store URL for a schema of the test server. */
export function pgStoreUrl(schema: string): string {
  const url = new URL(PG_URL);
  url.searchParams.set('schema', schema);
  return url.toString();
}
