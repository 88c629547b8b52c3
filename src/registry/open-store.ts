import path from 'node:path';
import { ferryError } from '../errors/index.ts';
import { migrate } from './sql/migrations.ts';
import { PostgresDriver } from './sql/postgres-driver.ts';
import { SqliteDriver } from './sql/sqlite-driver.ts';
import { SqlRegistryStore } from './sql/sql-store.ts';
import type { RegistryStore } from './store.ts';

/**
 * Opens the store a URL names and brings its schema up to date:
 * `sqlite:<file>` (or a plain path), `postgres://...` / `postgresql://...` with an optional `?schema=<name>`.
 */
export async function openRegistryStore(url: string): Promise<RegistryStore> {
  if (/^postgres(ql)?:\/\//i.test(url)) {
    const parsed = new URL(url);
    const schema = parsed.searchParams.get('schema') ?? undefined;
    parsed.searchParams.delete('schema');
    if (schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,47}$/.test(schema)) {
      throw ferryError('FERRY_ERR_CONFIG_INVALID', { detail: `registry store schema '${schema}' must be a plain identifier (letters, digits, _)` });
    }
    const driver = await PostgresDriver.open({ url: parsed.toString(), ...(schema ? { schema } : {}) });
    try {
      await migrate(driver, driver.migrationLock);
    } catch (error) {
      await driver.close();
      throw error;
    }
    return new SqlRegistryStore(driver);
  }
  const file = url.startsWith('sqlite:') ? url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '') : url;
  if (file.length === 0 || /^[a-z][a-z0-9+.-]*:\/\//i.test(file)) {
    throw ferryError('FERRY_ERR_CONFIG_INVALID', { detail: `registry store '${url}' is neither sqlite:<file> nor postgres://...` });
  }
  const driver = new SqliteDriver(file === ':memory:' ? file : path.resolve(file));
  try {
    await migrate(driver);
  } catch (error) {
    await driver.close();
    throw error;
  }
  return new SqlRegistryStore(driver);
}

/** The store URL with any password masked, for logs and status. */
export function describeStoreUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}
