import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { dropSchemas, pgStoreUrl, PG_URL, postgresReachable, randomSchema } from '../../test/helpers/postgres.ts';
import { openRegistryStore } from './open-store.ts';
import { runStoreConformance } from './store.case.ts';
import type { RegistryStore } from './store.ts';
import { SCHEMA_VERSION } from './sql/migrations.ts';

const reachable = await postgresReachable('PostgreSQL registry store tests');
const schemas: string[] = [];
const schemaOf = new Map<RegistryStore, string>();
afterAll(() => dropSchemas(schemas));

async function raw(schema: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

if (reachable) {
  runStoreConformance({
    name: 'PostgreSQL',
    async open() {
      const schema = randomSchema();
      schemas.push(schema);
      const store = await openRegistryStore(pgStoreUrl(schema));
      schemaOf.set(store, schema);
      return store;
    },
    async openTwin(store) {
      const schema = schemaOf.get(store)!;
      const twin = await openRegistryStore(pgStoreUrl(schema));
      schemaOf.set(twin, schema);
      return twin;
    },
    rawQuery: (store, sql) => raw(schemaOf.get(store)!, sql),
  });
}

describe.runIf(reachable)('PostgreSQL registry schema', () => {
  it('migrates once when several processes start together', async () => {
    const schema = randomSchema();
    schemas.push(schema);
    const stores = await Promise.all(Array.from({ length: 4 }, () => openRegistryStore(pgStoreUrl(schema))));
    await Promise.all(stores.map((s) => s.close()));
    const { rows } = await raw(schema, 'SELECT version FROM registry_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
  });

  it('refuses a schema written by a newer Ferry', async () => {
    const schema = randomSchema();
    schemas.push(schema);
    await (await openRegistryStore(pgStoreUrl(schema))).close();
    await raw(schema, `INSERT INTO registry_migrations (version, name, applied_at) VALUES (${SCHEMA_VERSION + 1}, 'future', 0)`);
    await expect(openRegistryStore(pgStoreUrl(schema))).rejects.toThrow(/newer than this Ferry knows/);
  });

  it('reports an unreachable server as the registry being unavailable', async () => {
    await expect(openRegistryStore('postgres://postgres@127.0.0.1:1/postgres')).rejects.toMatchObject({ code: 'FERRY_ERR_REGISTRY_UNAVAILABLE' });
    await expect(openRegistryStore(`${PG_URL}?schema=bad-name`)).rejects.toThrow(/plain identifier/);
  });
});
