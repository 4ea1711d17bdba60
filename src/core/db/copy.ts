// Copies the rows of the claude schema from one database to another of the same schema version: the
// one-time import of the old PGlite data, and `claude-family db copy --to URL` (moving from the local
// server to a shared one). Rows travel as JSON (row_to_json, json_populate_recordset), so no column type
// needs code here. Runs in one transaction on the target.
import type { Db, Queryable } from './db.js';

/** Tables in the order their foreign keys need; tables a later migration adds follow, by name. */
const TABLE_ORDER = ['projects', 'sessions', 'session_state', 'messages', 'todos', 'knowledge', 'mcp_usage', 'applied_events'];
const BATCH = 500;

export interface CopyReport {
  /** Rows inserted into the target, in all. */
  rows: number;
  /** Rows inserted per table. */
  tables: Record<string, number>;
}

/**
 * Inserts every row of `source`'s claude schema into `target` (both migrated to the same version).
 * Rows the target already has (same key) are kept as they are. A project the target already knows by
 * name keeps the target's id, and the copied rows are attached to it.
 */
export async function copyClaudeSchema(source: Queryable, target: Db): Promise<CopyReport> {
  const sourceTables = await tablesOf(source);
  const ordered = [...TABLE_ORDER.filter((t) => sourceTables.includes(t)), ...sourceTables.filter((t) => !TABLE_ORDER.includes(t)).sort()];
  const tables: Record<string, number> = {};
  let rows = 0;
  await target.transaction(async (tx) => {
    const projectIds = new Map<string, string>();
    for (const table of ordered) {
      const columns = await writableColumns(tx, table);
      if (columns.length === 0) continue;
      const res = await source.query<{ j: string }>(`SELECT row_to_json(t)::text AS j FROM claude.${table} t`);
      const records = res.rows.map((r) => JSON.parse(r.j) as Record<string, unknown>);
      if (table !== 'projects') {
        for (const r of records) if (typeof r.project_id === 'string') r.project_id = projectIds.get(r.project_id) ?? r.project_id;
      }
      const list = columns.map((c) => `"${c}"`).join(', ');
      let inserted = 0;
      for (let i = 0; i < records.length; i += BATCH) {
        const out = await tx.query(
          `INSERT INTO claude.${table} (${list}) SELECT ${list} FROM json_populate_recordset(NULL::claude.${table}, $1::json) ON CONFLICT DO NOTHING`,
          [JSON.stringify(records.slice(i, i + BATCH))],
        );
        inserted += out.rowCount;
      }
      if (table === 'projects') {
        const names = await tx.query<{ project_id: string; project_name: string }>('SELECT project_id, project_name FROM claude.projects WHERE project_name = ANY($1)', [
          records.map((p) => String(p.project_name)),
        ]);
        const byName = new Map(names.rows.map((r) => [r.project_name, r.project_id]));
        for (const p of records) projectIds.set(String(p.project_id), byName.get(String(p.project_name)) ?? String(p.project_id));
      }
      tables[table] = inserted;
      rows += inserted;
    }
  });
  return { rows, tables };
}

async function tablesOf(db: Queryable): Promise<string[]> {
  const res = await db.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'claude' AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations' ORDER BY table_name",
  );
  return res.rows.map((r) => r.table_name);
}

async function writableColumns(db: Queryable, table: string): Promise<string[]> {
  const res = await db.query<{ column_name: string }>(
    "SELECT column_name FROM information_schema.columns WHERE table_schema = 'claude' AND table_name = $1 AND is_generated = 'NEVER' ORDER BY ordinal_position",
    [table],
  );
  return res.rows.map((r) => r.column_name);
}
