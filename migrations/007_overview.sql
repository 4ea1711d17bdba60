-- 007: the overview of every project (src/core/overview/: the CLI's `overview`, the MCP tool `overview`,
-- the plugin's "Claude Family: all projects" view). One statement per section, each served by an index:

-- A project can be archived: the overview folds it (with the idle ones) instead of listing it first.
ALTER TABLE claude.projects ADD COLUMN archived_at timestamptz;

-- Sessions per day over the last N days, every project at once: a range scan on the start time that
-- carries the project, so the rows themselves are not read (an index-only scan once vacuumed).
CREATE INDEX sessions_start_project_idx ON claude.sessions (session_start, project_id);

-- MCP health over the last 7 days: calls and failures per server and tool read from the index alone...
CREATE INDEX mcp_usage_called_at_idx ON claude.mcp_usage (called_at) INCLUDE (mcp_server, tool_name, success);
-- ...and each tool's last error found at once among the failures, never by walking past the successes.
CREATE INDEX mcp_usage_failures_idx ON claude.mcp_usage (mcp_server, tool_name, called_at DESC) WHERE NOT success;
