-- 004: Claude Code's Task tools (TaskCreate / TaskUpdate, which replaced TodoWrite in v2.1.16).
-- A task is keyed by its task list (the session id, or CLAUDE_CODE_TASK_LIST_ID when several sessions
-- share one list) and its id in that list, not by its text: two tasks with the same subject are two rows.
-- Existing rows (TodoWrite's, the plugin's, messages') keep both columns NULL and are matched by content
-- as before.
ALTER TABLE claude.todos
  ADD COLUMN task_list_id text CHECK (task_list_id IS NULL OR length(btrim(task_list_id)) > 0),
  ADD COLUMN task_id text CHECK (task_id IS NULL OR length(btrim(task_id)) > 0),
  -- Ids (in the same task list) of the tasks this one waits for, as Claude Code's blockedBy holds them.
  ADD COLUMN blocked_by text[] NOT NULL DEFAULT '{}',
  ADD CONSTRAINT todos_task_key_complete CHECK ((task_list_id IS NULL) = (task_id IS NULL));

-- One live row per task, whichever project or session synced it: a list shared by several sessions
-- never duplicates a row.
CREATE UNIQUE INDEX todos_task_key_uq ON claude.todos (task_list_id, task_id) WHERE task_list_id IS NOT NULL AND NOT is_deleted;

-- A list's rows, deleted ones included (the project a shared list belongs to is that of its first row).
CREATE INDEX todos_task_list_idx ON claude.todos (task_list_id, created_at) WHERE task_list_id IS NOT NULL;

-- Content stays unique among live todos matched by content only (TodoWrite, added by hand).
DROP INDEX claude.todos_live_content_uq;
CREATE UNIQUE INDEX todos_live_content_uq ON claude.todos (project_id, content)
  WHERE NOT is_deleted AND status IN ('pending', 'in_progress') AND task_list_id IS NULL;
