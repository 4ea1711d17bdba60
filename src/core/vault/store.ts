// The database side of the vault sync: the entries' bookkeeping read in one statement, and a plan's
// database writes applied in one transaction per batch. A note's entry is origin 'vault' and accepted
// (a person wrote it) unless the note says `review: pending`.
import type { Db, Queryable } from '../db/db.js';
import type { EntryState, ParsedNoteAt } from './plan.js';
import type { EntryContent } from './render.js';

export async function loadEntryStates(q: Queryable): Promise<EntryState[]> {
  const { rows } = await q.query<{ knowledge_id: string; pattern_name: string; source_note_path: string | null; content_hash: string | null; note_size: string | null; note_mtime_ms: string | null; entry_hash: string; synced_entry_hash: string | null }>(
    `SELECT knowledge_id, pattern_name, source_note_path, content_hash, note_size, note_mtime_ms, entry_hash, synced_entry_hash
       FROM claude.knowledge WHERE archived_at IS NULL`,
  );
  return rows.map((r) => ({
    knowledgeId: r.knowledge_id,
    name: r.pattern_name,
    path: r.source_note_path,
    contentHash: r.content_hash,
    noteSize: r.note_size === null ? null : Number(r.note_size),
    noteMtimeMs: r.note_mtime_ms === null ? null : Number(r.note_mtime_ms),
    entryHash: r.entry_hash,
    syncedEntryHash: r.synced_entry_hash,
  }));
}

export async function loadEntryContents(q: Queryable, ids: readonly string[]): Promise<Map<string, EntryContent>> {
  if (ids.length === 0) return new Map();
  const { rows } = await q.query<EntryContent>(
    `SELECT knowledge_id, pattern_name, description, example_code, gotchas, body, projects, tags, review
       FROM claude.knowledge WHERE knowledge_id = ANY($1::uuid[])`,
    [ids],
  );
  return new Map(rows.map((r) => [r.knowledge_id, r]));
}

export interface NoteWrite {
  /** The entry to update; undefined: a new entry. */
  knowledgeId?: string;
  note: ParsedNoteAt;
}

export interface StoredNote {
  knowledgeId: string;
  path: string;
}

function record(w: NoteWrite): Record<string, unknown> {
  const n = w.note.note;
  return {
    id: w.knowledgeId ?? null,
    name: n.title,
    category: n.category,
    description: n.description,
    body: n.body,
    projects: n.projects,
    tags: n.tags,
    gotchas: n.gotchas,
    review: n.review,
    path: w.note.path,
    hash: n.hash,
    size: w.note.size,
    mtime: w.note.mtimeMs,
  };
}

/**
 * The entry_hash Postgres generates (migration 006), computed from the values being written, so an
 * entry is stored with its synced_entry_hash in the same statement: a second UPDATE of every row would
 * write each row (and its search index entries) twice. Should the two ever differ, applyBatch's last
 * statement sets the hash Postgres generated, so a difference costs speed, never correctness.
 */
export function entryHashSql(c: { name: string; category: string; description: string; example: string; gotchas: string; confidence: string; body: string; projects: string; tags: string; review: string }): string {
  return `md5(${c.name} || chr(31) || ${c.category} || chr(31) || ${c.description} || chr(31) || coalesce(${c.example}, '') || chr(31) ||
    claude.text_list(${c.gotchas}) || chr(31) || ${c.confidence}::text || chr(31) || coalesce(${c.body}, '') || chr(31) ||
    claude.text_list(${c.projects}) || chr(31) || claude.text_list(${c.tags}) || chr(31) || ${c.review})`;
}

const FROM_RECORD = { name: 'r.name', category: 'r.category', description: 'r.description', example: 'NULL::text', gotchas: 'r.gotchas', body: 'r.body', projects: 'r.projects', tags: 'r.tags', review: 'r.review' };

const RECORD_TYPE = `r(id uuid, name text, category text, description text, body text, projects text[], tags text[], gotchas text[],
  review text, path text, hash text, size bigint, mtime bigint)`;

export interface BatchWrites {
  archives: readonly string[];
  writes: readonly NoteWrite[];
  stats: readonly { knowledgeId: string; size: number; mtimeMs: number }[];
}

/**
 * One transaction: archive, then update (names that change move out of the way first, so two notes
 * swapping titles do not collide), then insert. Each written entry's synced_entry_hash is its new
 * entry_hash: the vault and the entry agree.
 */
export async function applyBatch(db: Db, batch: BatchWrites): Promise<StoredNote[]> {
  return db.transaction(async (tx) => {
    if (batch.archives.length > 0) {
      await tx.query(`UPDATE claude.knowledge SET archived_at = now(), updated_at = now() WHERE knowledge_id = ANY($1::uuid[]) AND archived_at IS NULL`, [batch.archives]);
    }
    const updates = batch.writes.filter((w) => w.knowledgeId !== undefined).map(record);
    const inserts = batch.writes.filter((w) => w.knowledgeId === undefined).map(record);
    const stored: StoredNote[] = [];
    if (updates.length > 0) {
      const json = JSON.stringify(updates);
      await tx.query(
        `UPDATE claude.knowledge k SET pattern_name = k.pattern_name || ' ~' || k.knowledge_id::text
           FROM jsonb_to_recordset($1::jsonb) AS ${RECORD_TYPE}
          WHERE k.knowledge_id = r.id AND k.pattern_name <> r.name`,
        [json],
      );
      const { rows } = await tx.query<{ knowledge_id: string; source_note_path: string }>(
        `UPDATE claude.knowledge k SET pattern_name = r.name, category = r.category, description = r.description, body = r.body,
            projects = r.projects, tags = r.tags, gotchas = r.gotchas, example_code = NULL, review = r.review,
            source_note_path = r.path, content_hash = r.hash, note_size = r.size, note_mtime_ms = r.mtime, updated_at = now(),
            synced_entry_hash = ${entryHashSql({ ...FROM_RECORD, confidence: 'k.confidence_level' })}
           FROM jsonb_to_recordset($1::jsonb) AS ${RECORD_TYPE}
          WHERE k.knowledge_id = r.id
          RETURNING k.knowledge_id, k.source_note_path`,
        [json],
      );
      stored.push(...rows.map((r) => ({ knowledgeId: r.knowledge_id, path: r.source_note_path })));
    }
    if (inserts.length > 0) {
      const { rows } = await tx.query<{ knowledge_id: string; source_note_path: string }>(
        `INSERT INTO claude.knowledge (pattern_name, category, description, body, projects, tags, gotchas, origin, review,
            source_note_path, content_hash, note_size, note_mtime_ms, synced_entry_hash)
         SELECT r.name, r.category, r.description, r.body, r.projects, r.tags, r.gotchas, 'vault', r.review, r.path, r.hash, r.size, r.mtime,
                ${entryHashSql({ ...FROM_RECORD, confidence: '5' })}
           FROM jsonb_to_recordset($1::jsonb) AS ${RECORD_TYPE}
         RETURNING knowledge_id, source_note_path`,
        [JSON.stringify(inserts)],
      );
      stored.push(...rows.map((r) => ({ knowledgeId: r.knowledge_id, path: r.source_note_path })));
    }
    if (stored.length > 0) {
      await tx.query(`UPDATE claude.knowledge SET synced_entry_hash = entry_hash WHERE knowledge_id = ANY($1::uuid[]) AND synced_entry_hash IS DISTINCT FROM entry_hash`, [
        stored.map((s) => s.knowledgeId),
      ]);
    }
    if (batch.stats.length > 0) await recordStats(tx, batch.stats);
    return stored;
  });
}

/** The note's size and mtime after a write the sync made itself (its content hash is unchanged). */
export async function recordStats(q: Queryable, stats: readonly { knowledgeId: string; size: number; mtimeMs: number }[]): Promise<void> {
  if (stats.length === 0) return;
  await q.query(
    `UPDATE claude.knowledge k SET note_size = r.size, note_mtime_ms = r.mtime
       FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, size bigint, mtime bigint)
      WHERE k.knowledge_id = r.id AND (k.note_size IS DISTINCT FROM r.size OR k.note_mtime_ms IS DISTINCT FROM r.mtime)`,
    [JSON.stringify(stats.map((s) => ({ id: s.knowledgeId, size: s.size, mtime: s.mtimeMs })))],
  );
}

/** A note now written from its entry (new, or updated from the entry): the vault and the entry agree as of `entryHash`. */
export async function recordNoteFromEntry(q: Queryable, knowledgeId: string, entryHash: string, note: { path: string; hash: string; size: number; mtimeMs: number }): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE claude.knowledge SET source_note_path = $2, content_hash = $3, note_size = $4, note_mtime_ms = $5, synced_entry_hash = $6
      WHERE knowledge_id = $1 AND archived_at IS NULL AND entry_hash = $6`,
    [knowledgeId, note.path, note.hash, note.size, note.mtimeMs, entryHash],
  );
  return (rowCount ?? 0) > 0;
}

/** Accepts an entry held for review (by id or exact name); its note loses `review: pending` at the next sync. */
export async function acceptKnowledge(q: Queryable, key: string): Promise<{ knowledge_id: string; pattern_name: string; was: string } | undefined> {
  const { rows } = await q.query<{ knowledge_id: string; pattern_name: string; was: string }>(
    `WITH target AS (
       SELECT knowledge_id, review FROM claude.knowledge
        WHERE archived_at IS NULL AND (pattern_name = $1 OR knowledge_id::text = lower($1))
        LIMIT 1)
     UPDATE claude.knowledge k SET review = 'accepted', updated_at = CASE WHEN t.review = 'accepted' THEN k.updated_at ELSE now() END
       FROM target t WHERE k.knowledge_id = t.knowledge_id
     RETURNING k.knowledge_id, k.pattern_name, t.review AS was`,
    [key.trim()],
  );
  return rows[0];
}
