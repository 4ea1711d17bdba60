-- 009: what the prompt's knowledge ranking (src/core/knowledge/rank.ts) looks candidates up by. An entry
-- is delivered at the prompt only when the prompt names a word of its title, tags or category, so those
-- get a small tsvector of their own (title weighted A, tags and category B) with a GIN index: the
-- candidates stay few however many entries share the prompt's common words in their bodies (with 20,000
-- entries about 15,000 contain one of "end", "session", "save", "state"; about 900 have one in the title
-- or tags), and they are pre-ranked on this small vector without reading the large search_vector.
ALTER TABLE claude.knowledge ADD COLUMN head_vector tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('english', pattern_name), 'A') ||
  setweight(to_tsvector('english', claude.text_list(tags) || ' ' || category), 'B')
) STORED;
CREATE INDEX knowledge_head_search_idx ON claude.knowledge USING gin (head_vector) WITH (fastupdate = off)
  WHERE archived_at IS NULL;
