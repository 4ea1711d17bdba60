-- 003: the live-todo index covers the whole ORDER BY of listActiveTodos (priority, display_order,
-- created_at), so a project's top todos are read in order and the scan stops at LIMIT instead of
-- sorting every live todo of the project (bench: 10,000 todos in one project).
DROP INDEX claude.todos_active_idx;
CREATE INDEX todos_active_idx ON claude.todos (project_id, status, priority, display_order, created_at)
  WHERE NOT is_deleted AND status IN ('pending', 'in_progress');
