-- 005: full-text search over knowledge, sessions and todos (issue 13). Each table gets a generated
-- tsvector column (kept current by Postgres itself on every write) and a GIN index on it; queries use
-- websearch_to_tsquery (any user text is a valid query), ts_rank and ts_headline. The 'english'
-- configuration is built into every Postgres, the embedded one included.
--
-- The GIN indexes are built with fastupdate off: writes here are single rows now and then, and a
-- pending list (what fastupdate keeps until a vacuum) makes every search read it through, which made
-- the planner prefer sequential scans after a bulk load (bench/).
--
-- Weights rank a hit in a name or summary above one in the body: A pattern name / session summary /
-- todo content, B category, description, tasks, learnings, C gotchas, D example code.

-- array_to_string is STABLE in general (an array's elements could be of any type); on text[] it is
-- immutable, which a generated column needs.
CREATE FUNCTION claude.text_list(list text[]) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN array_to_string(list, ' ');

ALTER TABLE claude.knowledge ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('english', pattern_name), 'A') ||
  setweight(to_tsvector('english', category), 'B') ||
  setweight(to_tsvector('english', description), 'B') ||
  setweight(to_tsvector('english', claude.text_list(gotchas)), 'C') ||
  setweight(to_tsvector('english', coalesce(example_code, '')), 'D')
) STORED;
CREATE INDEX knowledge_search_idx ON claude.knowledge USING gin (search_vector) WITH (fastupdate = off);

ALTER TABLE claude.sessions ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('english', coalesce(session_summary, '')), 'A') ||
  setweight(to_tsvector('english', claude.text_list(tasks_completed)), 'B') ||
  setweight(to_tsvector('english', claude.text_list(learnings_gained)), 'B')
) STORED;
CREATE INDEX sessions_search_idx ON claude.sessions USING gin (search_vector) WITH (fastupdate = off);

ALTER TABLE claude.todos ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('english', content), 'A')
) STORED;
CREATE INDEX todos_search_idx ON claude.todos USING gin (search_vector) WITH (fastupdate = off);
