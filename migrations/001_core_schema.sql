-- 001: the claude schema from the design notes (Session Lifecycle, Session Handoff - Database Approach).
-- Applied by src/core/migrate.ts inside one transaction; never edit once applied (the runner checks a checksum).

CREATE SCHEMA IF NOT EXISTS claude;

CREATE TABLE claude.projects (
  project_id   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_name text NOT NULL UNIQUE CHECK (length(btrim(project_name)) > 0),
  created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE claude.sessions (
  session_id        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id        uuid NOT NULL REFERENCES claude.projects (project_id) ON DELETE CASCADE,
  -- Claude Code's own session id (the hook payload's session_id); re-running SessionStart resumes.
  claude_session_id text UNIQUE CHECK (length(btrim(claude_session_id)) > 0),
  session_start     timestamptz NOT NULL DEFAULT now(),
  session_end       timestamptz,
  session_summary   text,
  tasks_completed   text[] NOT NULL DEFAULT '{}',
  learnings_gained  text[] NOT NULL DEFAULT '{}',
  CHECK (session_end IS NULL OR session_end >= session_start)
);
CREATE INDEX sessions_project_start_idx ON claude.sessions (project_id, session_start DESC);
CREATE INDEX sessions_open_idx ON claude.sessions (project_id) WHERE session_end IS NULL;

CREATE TABLE claude.session_state (
  project_name    text PRIMARY KEY REFERENCES claude.projects (project_name) ON UPDATE CASCADE ON DELETE CASCADE,
  current_focus   text,
  pending_actions text[] NOT NULL DEFAULT '{}',
  next_steps      jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(next_steps) = 'array'),
  files_modified  text[] NOT NULL DEFAULT '{}',
  todo_list       jsonb, -- DEPRECATED: claude.todos is the source of truth; kept for old readers, never written
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE claude.messages (
  message_id   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  from_project text NOT NULL CHECK (length(btrim(from_project)) > 0),
  to_project   text NOT NULL CHECK (length(btrim(to_project)) > 0),
  body         text NOT NULL CHECK (length(btrim(body)) > 0),
  status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'read', 'archived')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  read_at      timestamptz,
  CHECK ((status = 'pending') = (read_at IS NULL))
);
CREATE INDEX messages_pending_idx ON claude.messages (to_project, created_at) WHERE status = 'pending';

CREATE TABLE claude.todos (
  todo_id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id           uuid NOT NULL REFERENCES claude.projects (project_id) ON DELETE CASCADE,
  created_session_id   uuid REFERENCES claude.sessions (session_id) ON DELETE SET NULL,
  completed_session_id uuid REFERENCES claude.sessions (session_id) ON DELETE SET NULL,
  content              text NOT NULL CHECK (length(btrim(content)) > 0),
  active_form          text NOT NULL CHECK (length(btrim(active_form)) > 0),
  status               varchar(20) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'in_progress', 'completed')),
  priority             integer NOT NULL DEFAULT 3 CHECK (priority BETWEEN 1 AND 5),
  display_order        integer NOT NULL DEFAULT 0,
  is_deleted           boolean NOT NULL DEFAULT false,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  completed_at         timestamptz,
  deleted_at           timestamptz,
  source_message_id    uuid REFERENCES claude.messages (message_id) ON DELETE SET NULL,
  -- The session whose TodoWrite list last contained this todo: a later TodoWrite of that session that
  -- omits it soft-deletes it; other sessions' lists never do.
  synced_session_id    uuid REFERENCES claude.sessions (session_id) ON DELETE SET NULL,
  CHECK ((status = 'completed') = (completed_at IS NOT NULL)),
  CHECK (is_deleted = (deleted_at IS NOT NULL))
);
-- One live (not deleted, not completed) todo per content and project: TodoWrite matches by content.
CREATE UNIQUE INDEX todos_live_content_uq ON claude.todos (project_id, content)
  WHERE NOT is_deleted AND status IN ('pending', 'in_progress');
CREATE INDEX todos_active_idx ON claude.todos (project_id, status, priority, display_order)
  WHERE NOT is_deleted AND status IN ('pending', 'in_progress');
CREATE INDEX todos_completed_session_idx ON claude.todos (completed_session_id) WHERE completed_session_id IS NOT NULL;
CREATE INDEX todos_synced_session_idx ON claude.todos (synced_session_id) WHERE synced_session_id IS NOT NULL AND NOT is_deleted;

CREATE TABLE claude.knowledge (
  knowledge_id     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pattern_name     text NOT NULL UNIQUE CHECK (length(btrim(pattern_name)) > 0),
  category         text NOT NULL CHECK (length(btrim(category)) > 0),
  description      text NOT NULL CHECK (length(btrim(description)) > 0),
  example_code     text,
  gotchas          text[] NOT NULL DEFAULT '{}',
  confidence_level integer NOT NULL DEFAULT 5 CHECK (confidence_level BETWEEN 1 AND 10),
  source_note_path text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX knowledge_category_idx ON claude.knowledge (category);

CREATE TABLE claude.mcp_usage (
  usage_id    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  mcp_server  text NOT NULL CHECK (length(btrim(mcp_server)) > 0),
  tool_name   text NOT NULL CHECK (length(btrim(tool_name)) > 0),
  session_id  uuid REFERENCES claude.sessions (session_id) ON DELETE SET NULL,
  claude_session_id text,
  success     boolean NOT NULL,
  duration_ms integer CHECK (duration_ms IS NULL OR duration_ms >= 0),
  error       text,
  called_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mcp_usage_session_idx ON claude.mcp_usage (session_id);
CREATE INDEX mcp_usage_server_tool_idx ON claude.mcp_usage (mcp_server, tool_name, called_at DESC);

-- Exactly-once bookkeeping for hook events (direct writes and spool replay share it).
CREATE TABLE claude.applied_events (
  event_id   uuid PRIMARY KEY,
  kind       text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);
