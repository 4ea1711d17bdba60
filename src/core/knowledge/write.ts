// What Claude writes to the knowledge base (MCP add_knowledge): a new entry, or a partial update of an
// existing one by name, where only the fields given change. Either way the entry is held for review
// (review 'pending'): text Claude read somewhere untrusted never reaches the prompt until a person accepts it.
// A new entry is marked origin 'mcp'; an updated one keeps its origin (who wrote it first).
import type { Queryable } from '../db/db.js';

export interface KnowledgePatch {
  patternName: string;
  category?: string;
  description?: string;
  /** null clears it. */
  exampleCode?: string | null;
  gotchas?: string[];
  confidenceLevel?: number;
  /** null clears it. */
  body?: string | null;
  projects?: string[];
  tags?: string[];
}

export interface WrittenKnowledge {
  knowledge_id: string;
  pattern_name: string;
  category: string;
  created: boolean;
  /** The fields that were given (and so written). */
  fields: string[];
}

export class KnowledgeWriteError extends Error {}

const clean = (list: readonly string[] | undefined) => (list === undefined ? null : [...new Set(list.map((s) => s.trim()).filter((s) => s !== ''))]);

/** Adds the entry, or updates only the given fields of the live entry with that name. */
export async function writeKnowledgeFromClaude(q: Queryable, patch: KnowledgePatch, origin: 'mcp' | 'cli' | 'session' = 'mcp'): Promise<WrittenKnowledge> {
  const name = patch.patternName.trim();
  if (name === '') throw new KnowledgeWriteError('pattern_name must not be empty');
  const fields = (['category', 'description', 'exampleCode', 'gotchas', 'confidenceLevel', 'body', 'projects', 'tags'] as const).filter((f) => patch[f] !== undefined);
  const params = [
    name,
    patch.category?.trim() || null,
    patch.description?.trim() || null,
    patch.exampleCode !== undefined,
    patch.exampleCode ?? null,
    clean(patch.gotchas),
    patch.confidenceLevel ?? null,
    patch.body !== undefined,
    patch.body ?? null,
    clean(patch.projects),
    clean(patch.tags),
  ];
  const update = () =>
    q.query<{ knowledge_id: string; pattern_name: string; category: string }>(
      `UPDATE claude.knowledge SET
         category = coalesce($2::text, category), description = coalesce($3::text, description),
         example_code = CASE WHEN $4::boolean THEN $5::text ELSE example_code END,
         gotchas = coalesce($6::text[], gotchas), confidence_level = coalesce($7::int, confidence_level),
         body = CASE WHEN $8::boolean THEN $9::text ELSE body END,
         projects = coalesce($10::text[], projects), tags = coalesce($11::text[], tags),
         review = 'pending', updated_at = now()
       WHERE pattern_name = $1::text AND archived_at IS NULL
       RETURNING knowledge_id, pattern_name, category`,
      params,
    );
  const updated = await update();
  if (updated.rows[0]) return { ...updated.rows[0], created: false, fields: fields.map(String) };

  const category = patch.category?.trim();
  const description = patch.description?.trim() || firstParagraph(patch.body ?? '');
  if (!category) throw new KnowledgeWriteError(`no entry is named ${JSON.stringify(name)}: a new entry needs a category`);
  if (!description) throw new KnowledgeWriteError(`no entry is named ${JSON.stringify(name)}: a new entry needs a description or a body`);
  const inserted = await q.query<{ knowledge_id: string; pattern_name: string; category: string }>(
    `INSERT INTO claude.knowledge (pattern_name, category, description, example_code, gotchas, confidence_level, body, projects, tags, origin, review)
     VALUES ($1, $2, $3, $4, coalesce($5::text[], '{}'), coalesce($6::int, 5), $7, coalesce($8::text[], '{}'), coalesce($9::text[], '{}'), $10, 'pending')
     ON CONFLICT (pattern_name) WHERE archived_at IS NULL DO NOTHING
     RETURNING knowledge_id, pattern_name, category`,
    [name, category, description, patch.exampleCode ?? null, clean(patch.gotchas), patch.confidenceLevel ?? null, patch.body ?? null, clean(patch.projects), clean(patch.tags), origin],
  );
  if (inserted.rows[0]) return { ...inserted.rows[0], created: true, fields: fields.map(String) };
  // Another writer created it in between: update that one.
  const again = await update();
  if (!again.rows[0]) throw new KnowledgeWriteError(`could not write the entry ${JSON.stringify(name)}: it changed while being written; try again`);
  return { ...again.rows[0], created: false, fields: fields.map(String) };
}

function firstParagraph(body: string): string {
  const text = body.replace(/^#.*$/gm, '').trim().split(/\n\s*\n/)[0]?.trim() ?? '';
  return text.length > 500 ? `${text.slice(0, 499)}…` : text;
}
