-- 009: what the prompt's knowledge ranking (src/core/knowledge/rank.ts) looks candidates up by: an entry
-- is delivered at the prompt only when the prompt names a word of its title, tags or category. A GIN
-- index over just those keeps the candidates few however many entries share the prompt's common words in
-- their bodies (20,000 entries: about 15,000 of them contain one of "end", "session", "save", "state";
-- about 900 have one in the title or tags). The expression is written the same way in rank.ts.
CREATE INDEX knowledge_head_search_idx ON claude.knowledge
  USING gin (to_tsvector('english', pattern_name || ' ' || claude.text_list(tags) || ' ' || category))
  WITH (fastupdate = off)
  WHERE archived_at IS NULL;
