-- 008: what the prompt's knowledge ranking (src/core/knowledge/rank.ts) looks its candidates up by and
-- pre-ranks them on: an entry is delivered at the prompt only when the prompt names a word of its title,
-- tags or category. Those are stored as a small tsvector of their own (title weighted A, tags and category
-- B) with a GIN index, so the candidates stay few however many entries share the prompt's common words in
-- their bodies: with 20,000 entries, "end", "session", "save" and "state" are in about 15,000 bodies and
-- about 900 titles or tags; only the best 24 of those are then read in full (search_vector is large and
-- TOASTed). The expression is written the same way in rank.ts.
ALTER TABLE claude.knowledge ADD COLUMN head_vector tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('english', pattern_name), 'A') ||
  setweight(to_tsvector('english', claude.text_list(tags) || ' ' || category), 'B')
) STORED;
CREATE INDEX knowledge_head_search_idx ON claude.knowledge USING gin (head_vector) WITH (fastupdate = off)
  WHERE archived_at IS NULL;
