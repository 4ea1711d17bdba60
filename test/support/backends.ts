// Every database test runs against both backends: the system Postgres server and the embedded local
// server (test/support/embeddedServer.ts), each with a fresh database per block, dropped afterwards.
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import type { Backend, Db } from '../../src/core/db/db.js';
import { migrate } from '../../src/core/db/migrate.js';
import { openPostgres } from '../../src/core/db/pg.js';
import { createEmbeddedDatabase } from './embeddedServer.js';

/** The server tests create their databases on; CI starts it (see .ci/run). */
export const PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  backend: Backend;
  db: Db;
  /** The fresh database's connection string (child processes connect with it). */
  url: string;
  /** The database's name (on the system server, or on the shared embedded one). */
  name: string;
  drop(): Promise<void>;
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

export async function createPostgresDatabase(name = uniqueName('cf_test')): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export interface CreateOptions {
  /** Run the migrations (default true). */
  migrated?: boolean;
}

export async function createTestDatabase(backend: Backend, options: CreateOptions = {}): Promise<TestDatabase> {
  const name = uniqueName('cf_test');
  let t: TestDatabase;
  if (backend === 'postgres') {
    const { url, drop } = await createPostgresDatabase(name);
    const db = openPostgres({ connectionString: url });
    t = { backend, db, url, name, drop: async () => { await db.close(); await drop(); } };
  } else {
    const { connection, url, drop } = await createEmbeddedDatabase(name);
    const db = openPostgres({ connection, backend: 'embedded' });
    t = { backend, db, url, name, drop: async () => { await db.close(); await drop(); } };
  }
  if (options.migrated !== false) await migrate(t.db);
  return t;
}

export const BACKENDS: readonly Backend[] = ['postgres', 'embedded'];

/**
 * Declares `body` once per backend, each with its own fresh, migrated database for the whole block.
 * The returned getter is valid inside tests.
 */
export function describeEachBackend(title: string, body: (ctx: () => TestDatabase, backend: Backend) => void, options: CreateOptions = {}): void {
  for (const backend of BACKENDS) {
    describe(`${title} [${backend}]`, () => {
      let current: TestDatabase | undefined;
      beforeAll(async () => {
        current = await createTestDatabase(backend, options);
      });
      afterAll(async () => {
        await current?.drop();
      });
      body(() => {
        if (!current) throw new Error('test database not ready');
        return current;
      }, backend);
    });
  }
}

let counter = 0;
/** A project name no other test uses, so tests sharing a database never see each other's rows. */
export function uniqueProject(label = 'proj'): string {
  counter += 1;
  return `${label}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 6)}`;
}
