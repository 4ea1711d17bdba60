// Knowledge in use: the entries delivered to Claude most often in the last days (claude.knowledge_retrievals,
// migration 006) and the live, accepted entries never delivered at all. One statement for both lists.
import type { Queryable } from '../db/db.js';

export interface KnowledgeUseEntry {
  knowledgeId: string;
  name: string;
  category: string;
  /** The vault note it came from, when it has one. */
  notePath: string | null;
  /** Deliveries in the window (0 for the never-delivered list). */
  deliveries: number;
  lastDelivered: Date | null;
}

export interface KnowledgeUse {
  mostDelivered: KnowledgeUseEntry[];
  neverDelivered: KnowledgeUseEntry[];
  /** How many live, accepted entries were never delivered (the list above is cut at the limit). */
  neverDeliveredCount: number;
}

export const KNOWLEDGE_USE_LIMIT = 10;

export async function loadKnowledgeUse(q: Queryable, days = 30, limit = KNOWLEDGE_USE_LIMIT): Promise<KnowledgeUse> {
  const { rows } = await q.query<{ kind: 'most' | 'never'; knowledge_id: string; pattern_name: string; category: string; source_note_path: string | null; deliveries: number; last_delivered: Date | null; never_total: number | null }>(
    `WITH used AS (
       SELECT knowledge_id, count(*)::int AS deliveries, max(retrieved_at) AS last_delivered
         FROM claude.knowledge_retrievals WHERE retrieved_at >= now() - make_interval(days => $1::int)
        GROUP BY knowledge_id ORDER BY deliveries DESC, last_delivered DESC LIMIT $2),
     never AS MATERIALIZED (
       SELECT k.knowledge_id, k.updated_at FROM claude.knowledge k
        WHERE k.archived_at IS NULL AND k.review = 'accepted'
          AND NOT EXISTS (SELECT 1 FROM claude.knowledge_retrievals r WHERE r.knowledge_id = k.knowledge_id))
     (SELECT 'most' AS kind, k.knowledge_id, k.pattern_name, k.category, k.source_note_path, u.deliveries, u.last_delivered, NULL::int AS never_total
        FROM used u JOIN claude.knowledge k USING (knowledge_id)
       ORDER BY u.deliveries DESC, u.last_delivered DESC)
     UNION ALL
     (SELECT 'never', k.knowledge_id, k.pattern_name, k.category, k.source_note_path, 0, NULL, (SELECT count(*) FROM never)::int
        FROM (SELECT knowledge_id, updated_at FROM never ORDER BY updated_at DESC LIMIT $2) n JOIN claude.knowledge k USING (knowledge_id)
       ORDER BY n.updated_at DESC, k.pattern_name)`,
    [days, limit],
  );
  const entry = (r: (typeof rows)[number]): KnowledgeUseEntry => ({
    knowledgeId: r.knowledge_id,
    name: r.pattern_name,
    category: r.category,
    notePath: r.source_note_path,
    deliveries: r.deliveries,
    lastDelivered: r.last_delivered,
  });
  return {
    mostDelivered: rows.filter((r) => r.kind === 'most').map(entry),
    neverDelivered: rows.filter((r) => r.kind === 'never').map(entry),
    neverDeliveredCount: rows.find((r) => r.kind === 'never')?.never_total ?? 0,
  };
}
