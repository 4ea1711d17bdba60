-- 009: the prompt's candidates are found by one index scan that applies the project filter too. Until
-- 008 the GIN index on head_vector found every entry whose title or tags name a word of the prompt, of
-- every project (with 20,000 entries over 6 projects: ~900 rows on ~850 heap pages), and the project
-- was checked row by row on the heap. Each page a fresh backend touches costs it, and every hook runs on
-- a fresh backend. The index now has a second column, the entry's scope: the projects it applies to, or
-- {''} for an entry that applies to every project (no projects). A prompt in project P asks for
-- scope && {'', P}: the same rows as `cardinality(projects) = 0 OR projects @> {P}` (an empty name in
-- a list is never a project, so it is dropped), found in the index (~300 rows, a third of the pages).
-- Written in rank.ts as appliesToProject().
CREATE FUNCTION claude.knowledge_scope(projects text[]) RETURNS text[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN cardinality(projects) = 0 THEN '{""}'::text[] ELSE array_remove(projects, '') END;

DROP INDEX claude.knowledge_head_search_idx;
CREATE INDEX knowledge_head_scope_idx ON claude.knowledge USING gin (head_vector, claude.knowledge_scope(projects))
  WITH (fastupdate = off) WHERE archived_at IS NULL;
