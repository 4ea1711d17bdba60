import type { Queryable } from '../db/db.js';
import { KnowledgeInput, Uuid, parseInput, type KnowledgeRow } from '../models.js';

const COLUMNS = `knowledge_id, pattern_name, category, description, example_code, gotchas, confidence_level,
  source_note_path, created_at, updated_at`;

export interface UpsertedKnowledge {
  knowledge: KnowledgeRow;
  created: boolean;
}

/**
 * Inserts or updates a knowledge entry. With a knowledge_id (say, from a promoted note's frontmatter)
 * that row is updated; without one, the pattern_name decides.
 */
export async function upsertKnowledge(q: Queryable, input: KnowledgeInput): Promise<UpsertedKnowledge> {
  const d = parseInput(KnowledgeInput, input, 'knowledge');
  // Names are unique among live entries only (migration 006): an archived entry frees its name.
  const conflictTarget = d.knowledgeId ? '(knowledge_id)' : '(pattern_name) WHERE archived_at IS NULL';
  const { rows } = await q.query<KnowledgeRow & { inserted: boolean }>(
    `INSERT INTO claude.knowledge (knowledge_id, pattern_name, category, description, example_code, gotchas,
       confidence_level, source_note_path)
     VALUES (COALESCE($1::uuid, gen_random_uuid()), $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT ${conflictTarget} DO UPDATE SET
       pattern_name = EXCLUDED.pattern_name, category = EXCLUDED.category, description = EXCLUDED.description,
       example_code = EXCLUDED.example_code, gotchas = EXCLUDED.gotchas, confidence_level = EXCLUDED.confidence_level,
       source_note_path = COALESCE(EXCLUDED.source_note_path, claude.knowledge.source_note_path), updated_at = now()
     RETURNING ${COLUMNS}, (xmax = 0) AS inserted`,
    [
      d.knowledgeId ?? null,
      d.patternName,
      d.category,
      d.description,
      d.exampleCode ?? null,
      d.gotchas,
      d.confidenceLevel,
      d.sourceNotePath ?? null,
    ],
  );
  const { inserted, ...knowledge } = rows[0]!;
  return { knowledge, created: inserted };
}

export async function getKnowledge(q: Queryable, knowledgeId: string): Promise<KnowledgeRow | undefined> {
  const id = parseInput(Uuid, knowledgeId, 'knowledge id');
  const { rows } = await q.query<KnowledgeRow>(`SELECT ${COLUMNS} FROM claude.knowledge WHERE knowledge_id = $1`, [id]);
  return rows[0];
}

export async function findKnowledgeByName(q: Queryable, patternName: string): Promise<KnowledgeRow | undefined> {
  const { rows } = await q.query<KnowledgeRow>(`SELECT ${COLUMNS} FROM claude.knowledge WHERE pattern_name = $1 AND archived_at IS NULL`, [
    patternName.trim(),
  ]);
  return rows[0];
}

export async function listKnowledge(q: Queryable, category?: string): Promise<KnowledgeRow[]> {
  const { rows } = await q.query<KnowledgeRow>(
    `SELECT ${COLUMNS} FROM claude.knowledge WHERE ($1::text IS NULL OR category = $1) ORDER BY category, pattern_name`,
    [category ?? null],
  );
  return rows;
}
