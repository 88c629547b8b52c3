import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { openRegistryStore } from './open-store.ts';
import { runStoreConformance } from './store.case.ts';
import type { RegistryStore } from './store.ts';
import { MIGRATIONS, SCHEMA_VERSION } from './sql/migrations.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'ferry-registry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const files = new Map<RegistryStore, string>();
let n = 0;

runStoreConformance({
  name: 'SQLite',
  async open() {
    const file = path.join(dir, `r${n++}.db`);
    const store = await openRegistryStore(`sqlite:${file}`);
    files.set(store, file);
    return store;
  },
  // A second connection to the same file: what a CLI sees while a server runs.
  async openTwin(store) {
    const twin = await openRegistryStore(files.get(store)!);
    files.set(twin, files.get(store)!);
    return twin;
  },
  async rawQuery(store, sql) {
    const db = new DatabaseSync(files.get(store)!);
    try {
      db.exec(sql);
    } finally {
      db.close();
    }
  },
});

describe('SQLite registry schema', () => {
  it('migrates a new file to the newest version once, and again finds nothing to do', async () => {
    const file = path.join(dir, 'migrate.db');
    const store = await openRegistryStore(`sqlite:${file}`);
    await store.close();
    const again = await openRegistryStore(file);
    await again.close();
    const db = new DatabaseSync(file);
    const rows = db.prepare('SELECT version, name FROM registry_migrations ORDER BY version').all();
    db.close();
    expect(rows.map((r) => r['version'])).toEqual(MIGRATIONS.map((m) => m.version));
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });

  it('refuses a database written by a newer Ferry', async () => {
    const file = path.join(dir, 'newer.db');
    (await openRegistryStore(file)).close();
    const db = new DatabaseSync(file);
    db.prepare('INSERT INTO registry_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(SCHEMA_VERSION + 1, 'future', 0);
    db.close();
    await expect(openRegistryStore(file)).rejects.toThrow(`registry schema is at version ${SCHEMA_VERSION + 1}, newer than this Ferry knows (${SCHEMA_VERSION})`);
  });

  it('names a store URL it cannot use', async () => {
    await expect(openRegistryStore('mysql://x')).rejects.toThrow(/neither sqlite:<file> nor postgres/);
    await expect(openRegistryStore(path.join(dir, 'not-a-dir.db', 'x.db').replace('not-a-dir.db', 'f'))).resolves.toBeDefined();
  });
});
