-- 006: the knowledge vault. Notes of an Obsidian vault are stored as knowledge entries and kept in sync
-- both ways (src/core/vault/), and the relevant ones are delivered to Claude at the prompt
-- (src/core/knowledge/), each delivery logged in claude.knowledge_retrievals.
--
-- An entry made the old way (pattern name, category, description, example, gotchas) keeps working:
-- every new column has a default, and body stays NULL for it.

ALTER TABLE claude.knowledge
  -- The note's whole Markdown body (after its frontmatter); NULL for an entry made without a note.
  ADD COLUMN body text,
  -- The projects the entry applies to, by name (a note's `projects:`); empty: every project.
  ADD COLUMN projects text[] NOT NULL DEFAULT '{}',
  ADD COLUMN tags text[] NOT NULL DEFAULT '{}',
  -- Who wrote it: a person in the vault ('vault'), or Claude or a command ('mcp', 'cli', 'session');
  -- 'legacy' for entries from before this migration, and for a writer that does not say.
  ADD COLUMN origin text NOT NULL DEFAULT 'legacy' CHECK (origin IN ('vault', 'mcp', 'cli', 'session', 'legacy')),
  -- An entry Claude wrote is delivered at the prompt only once a person accepted it. Pending unless the
  -- writer says otherwise: an older client writing to a shared server cannot slip an entry past review.
  ADD COLUMN review text NOT NULL DEFAULT 'pending' CHECK (review IN ('pending', 'accepted')),
  -- A deleted note archives its entry; archived entries are never delivered or searched.
  ADD COLUMN archived_at timestamptz,
  -- Sync bookkeeping (src/core/vault/): the note's content hash (its text without the keys the sync
  -- owns), size and mtime as the last sync saw them, and the entry_hash the vault last agreed with.
  -- A note changed since the last sync: its hash differs from content_hash. The entry changed since the
  -- last sync (by MCP, the CLI, another client): entry_hash differs from synced_entry_hash. Both: a conflict.
  ADD COLUMN content_hash text,
  ADD COLUMN note_size bigint,
  ADD COLUMN note_mtime_ms bigint,
  ADD COLUMN synced_entry_hash text,
  -- A digest of what the entry says, kept by Postgres itself on every write, whoever the writer is.
  ADD COLUMN entry_hash text GENERATED ALWAYS AS (md5(
    pattern_name || chr(31) || category || chr(31) || description || chr(31) || coalesce(example_code, '') || chr(31) ||
    claude.text_list(gotchas) || chr(31) || confidence_level::text || chr(31) || coalesce(body, '') || chr(31) ||
    claude.text_list(projects) || chr(31) || claude.text_list(tags) || chr(31) || review
  )) STORED;

-- Entries that existed before: those promoted from a note came from a person's vault; the rest were
-- written by MCP add_knowledge or `knowledge add`, and stay held for review like any entry Claude writes.
UPDATE claude.knowledge SET review = 'accepted' WHERE source_note_path IS NOT NULL;

-- A name (a note's title) and a note path belong to one live entry at a time; an archived entry frees both.
ALTER TABLE claude.knowledge DROP CONSTRAINT knowledge_pattern_name_key;
CREATE UNIQUE INDEX knowledge_live_name_uq ON claude.knowledge (pattern_name) WHERE archived_at IS NULL;
CREATE UNIQUE INDEX knowledge_live_path_uq ON claude.knowledge (source_note_path)
  WHERE archived_at IS NULL AND source_note_path IS NOT NULL;
-- Wikilinks resolve by title, as Obsidian does: without regard to case.
CREATE INDEX knowledge_lower_name_idx ON claude.knowledge (lower(pattern_name)) WHERE archived_at IS NULL;
CREATE INDEX knowledge_projects_idx ON claude.knowledge USING gin (projects);

-- Full-text search weighs the title first, then tags (and the old category), then the body (or the old
-- description) with the gotchas, then example code.
DROP INDEX claude.knowledge_search_idx;
ALTER TABLE claude.knowledge DROP COLUMN search_vector;
ALTER TABLE claude.knowledge ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('english', pattern_name), 'A') ||
  setweight(to_tsvector('english', claude.text_list(tags) || ' ' || category), 'B') ||
  setweight(to_tsvector('english', coalesce(body, description)), 'C') ||
  setweight(to_tsvector('english', claude.text_list(gotchas)), 'C') ||
  setweight(to_tsvector('english', coalesce(example_code, '')), 'D')
) STORED;
CREATE INDEX knowledge_search_idx ON claude.knowledge USING gin (search_vector) WITH (fastupdate = off);

-- What Claude was given, and when: one row per entry delivered (at the prompt, at SessionStart).
-- The same entry is not delivered twice in one session unless it changed since (entry_hash).
CREATE TABLE claude.knowledge_retrievals (
  retrieval_id      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  knowledge_id      uuid NOT NULL REFERENCES claude.knowledge (knowledge_id) ON DELETE CASCADE,
  -- Claude Code's session id (the hook payload's); session_id when that session's row exists.
  claude_session_id text CHECK (claude_session_id IS NULL OR length(btrim(claude_session_id)) > 0),
  session_id        uuid REFERENCES claude.sessions (session_id) ON DELETE SET NULL,
  project_id        uuid REFERENCES claude.projects (project_id) ON DELETE SET NULL,
  channel           text NOT NULL CHECK (channel IN ('prompt', 'session_start')),
  -- 1 for the best entry of a delivery.
  rank              integer NOT NULL CHECK (rank >= 1),
  score             real,
  entry_hash        text NOT NULL,
  retrieved_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX knowledge_retrievals_session_idx ON claude.knowledge_retrievals (claude_session_id, knowledge_id);
CREATE INDEX knowledge_retrievals_entry_idx ON claude.knowledge_retrievals (knowledge_id, retrieved_at DESC);
CREATE INDEX knowledge_retrievals_time_idx ON claude.knowledge_retrievals (retrieved_at DESC);

-- Knowledge changes reach a listener (the plugin writes entries made elsewhere into the vault). The
-- payload is the same for every row, and Postgres folds identical notifications of one transaction into one.
CREATE TRIGGER knowledge_notify_change AFTER INSERT OR UPDATE OR DELETE ON claude.knowledge
  FOR EACH ROW EXECUTE FUNCTION claude.notify_change();
