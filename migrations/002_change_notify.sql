-- 002: change notifications. Every write to the tables the handoff shows sends
--   pg_notify('claude_changes', '{"table": ..., "project": ..., "op": ...}')
-- so a listener (the Obsidian plugin on a Postgres server) can refresh instead of polling.
-- Notifications are delivered at commit and only to sessions of the same server; an embedded PGlite
-- written by another process does not deliver them across processes (the plugin polls there).

CREATE OR REPLACE FUNCTION claude.notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  rec record;
  project text;
BEGIN
  IF TG_OP = 'DELETE' THEN rec := OLD; ELSE rec := NEW; END IF;
  IF TG_TABLE_NAME IN ('todos', 'sessions') THEN
    SELECT p.project_name INTO project FROM claude.projects p WHERE p.project_id = rec.project_id;
  ELSIF TG_TABLE_NAME = 'session_state' THEN
    project := rec.project_name;
  ELSIF TG_TABLE_NAME = 'messages' THEN
    project := rec.to_project;
  END IF;
  PERFORM pg_notify('claude_changes', json_build_object('table', TG_TABLE_NAME, 'project', project, 'op', TG_OP)::text);
  RETURN NULL;
END;
$$;

CREATE TRIGGER todos_notify_change AFTER INSERT OR UPDATE OR DELETE ON claude.todos
  FOR EACH ROW EXECUTE FUNCTION claude.notify_change();
CREATE TRIGGER sessions_notify_change AFTER INSERT OR UPDATE OR DELETE ON claude.sessions
  FOR EACH ROW EXECUTE FUNCTION claude.notify_change();
CREATE TRIGGER session_state_notify_change AFTER INSERT OR UPDATE OR DELETE ON claude.session_state
  FOR EACH ROW EXECUTE FUNCTION claude.notify_change();
CREATE TRIGGER messages_notify_change AFTER INSERT OR UPDATE OR DELETE ON claude.messages
  FOR EACH ROW EXECUTE FUNCTION claude.notify_change();
