import { readdirSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { checksum, migrate, MigrationError, pendingMigrationCount } from '../src/core/db/migrate.js';
import { MIGRATIONS } from '../src/core/db/migrations.js';
import { BACKENDS, createTestDatabase } from './support/backends.js';
import { bundleScript } from './support/bundle.js';

describe('migration list', () => {
  it('bundles every file in migrations/, in order', () => {
    const onDisk = readdirSync(new URL('../migrations/', import.meta.url)).filter((f) => f.endsWith('.sql')).sort();
    expect(MIGRATIONS.map((m) => m.name)).toEqual(onDisk);
  });
});

for (const backend of BACKENDS) {
  describe(`migrate [${backend}]`, () => {
    it('applies every file once, records checksums, and a second run changes nothing', async () => {
      const t = await createTestDatabase(backend, { migrated: false });
      try {
        const first = await migrate(t.db);
        expect(first.applied).toEqual(MIGRATIONS.map((m) => m.name));
        const ledger = await t.db.query<{ name: string; checksum: string }>('SELECT name, checksum FROM claude.schema_migrations ORDER BY version');
        expect(ledger.rows).toEqual(MIGRATIONS.map((m) => ({ name: m.name, checksum: checksum(m.sql) })));

        const tablesBefore = await t.db.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'claude' ORDER BY 1`);
        const second = await migrate(t.db);
        expect(second.applied).toEqual([]);
        expect(second.alreadyApplied).toEqual(MIGRATIONS.map((m) => m.name));
        const tablesAfter = await t.db.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'claude' ORDER BY 1`);
        expect(tablesAfter.rows).toEqual(tablesBefore.rows);
        expect(tablesAfter.rows.map((r) => r.table_name)).toEqual(
          expect.arrayContaining(['projects', 'sessions', 'session_state', 'todos', 'knowledge', 'messages', 'mcp_usage', 'schema_migrations']),
        );
      } finally {
        await t.drop();
      }
    });

    it('pendingMigrationCount: all on a fresh database, none after migrate, one for a new file', async () => {
      const t = await createTestDatabase(backend, { migrated: false });
      try {
        expect(await pendingMigrationCount(t.db)).toBe(MIGRATIONS.length);
        await migrate(t.db);
        expect(await pendingMigrationCount(t.db)).toBe(0);
        expect(await pendingMigrationCount(t.db, [...MIGRATIONS, { name: '999_next.sql', sql: 'SELECT 1' }])).toBe(1);
      } finally {
        await t.drop();
      }
    });

    it('refuses to run when an applied file was edited', async () => {
      const t = await createTestDatabase(backend);
      try {
        const edited = MIGRATIONS.map((m, i) => (i === 0 ? { ...m, sql: `${m.sql}\n-- edited` } : m));
        await expect(migrate(t.db, edited)).rejects.toThrow(MigrationError);
        await expect(migrate(t.db, edited)).rejects.toThrow(/001_core_schema\.sql was edited after it was applied/);
      } finally {
        await t.drop();
      }
    });

    it('rolls back a failing migration entirely and records nothing for it', async () => {
      const t = await createTestDatabase(backend);
      try {
        const broken = [...MIGRATIONS, { name: '900_broken.sql', sql: 'CREATE TABLE claude.half_done (x int);\nSELECT * FROM no_such_table;' }];
        await expect(migrate(t.db, broken)).rejects.toThrow(/900_broken\.sql failed/);
        const table = await t.db.query(`SELECT to_regclass('claude.half_done') AS t`);
        expect(table.rows[0]!.t).toBeNull();
        const recorded = await t.db.query('SELECT 1 FROM claude.schema_migrations WHERE version = 900');
        expect(recorded.rows).toHaveLength(0);
      } finally {
        await t.drop();
      }
    });

    it('rejects badly named files', async () => {
      const t = await createTestDatabase(backend);
      try {
        await expect(migrate(t.db, [{ name: 'init.sql', sql: 'SELECT 1' }])).rejects.toThrow(/must look like 001_description\.sql/);
      } finally {
        await t.drop();
      }
    });
  });
}

describe('migrate from two processes at once [postgres]', () => {
  it('applies each file exactly once', async () => {
    const t = await createTestDatabase('postgres', { migrated: false });
    try {
      const script = await bundleScript(`
        import { openPostgres } from './src/core/db/pg.ts';
        import { migrate } from './src/core/db/migrate.ts';
        const db = openPostgres({ connectionString: process.env.URL });
        const r = await migrate(db);
        console.log(JSON.stringify(r.applied));
        await db.close();`);
      const runOne = () =>
        new Promise<string[]>((resolve, reject) => {
          const child = spawn(process.execPath, [script], {
            env: { ...process.env, URL: t.url },
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let out = '';
          let err = '';
          child.stdout.on('data', (d) => (out += d));
          child.stderr.on('data', (d) => (err += d));
          child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(err))));
        });
      const results = await Promise.all([runOne(), runOne(), runOne()]);
      const all = results.flat().sort();
      expect(all).toEqual(MIGRATIONS.map((m) => m.name).sort());
      const ledger = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM claude.schema_migrations');
      expect(ledger.rows[0]!.n).toBe(MIGRATIONS.length);
    } finally {
      await t.drop();
    }
  });
});
