-- 010: the prompt's knowledge ranking (src/core/knowledge/rank.ts) pre-ranks its candidates on their
-- title, tags and category alone, so those are stored as a small tsvector of their own (title weighted A,
-- tags and category B) with the GIN index the candidates come from; it replaces 009's index over the same
-- words, which could find the candidates but not rank them without computing their tsvector for each one.
-- With 20,000 entries a prompt's common words ("end", "session", "save", "state") are in about 15,000
-- bodies and about 900 titles or tags; only the best 24 of those are then read in full (search_vector is
-- large and TOASTed).
ALTER TABLE claude.knowledge ADD COLUMN head_vector tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('english', pattern_name), 'A') ||
  setweight(to_tsvector('english', claude.text_list(tags) || ' ' || category), 'B')
) STORED;
DROP INDEX claude.knowledge_head_search_idx;
CREATE INDEX knowledge_head_search_idx ON claude.knowledge USING gin (head_vector) WITH (fastupdate = off)
  WHERE archived_at IS NULL;
