import { getProjectByName } from '../../core/repos/projects.js';
import { archiveStalePendingTodos, listActiveTodos } from '../../core/repos/todos.js';
import { oneLine } from '../../core/render/handoff.js';
import { taskPrefix } from '../../core/render/format.js';
import { flag, json, requireStr, type Command } from '../command.js';
import { checkNamedProject, withDb } from '../context.js';
import { UsageError } from '../errors.js';

export const todosList: Command = {
  name: 'todos list',
  summary: 'List the project\'s active todos (in progress, then pending, by priority).',
  usage: '[--json]',
  details: ['  --json           print JSON'],
  options: { json: { type: 'boolean' } },
  async run(args, ctx) {
    const todos = await withDb(ctx, async (db) => {
      await checkNamedProject(db, ctx);
      const project = await getProjectByName(db, ctx.project);
      return project ? listActiveTodos(db, project.project_id) : { inProgress: [], pending: [] };
    });
    const all = [...todos.inProgress, ...todos.pending];
    if (flag(args, 'json')) {
      return void ctx.io.out(json({
        project: ctx.project,
        todos: all.map((t) => ({ todo_id: t.todo_id, task_id: t.task_id ?? null, content: t.content, active_form: t.active_form, status: t.status, priority: t.priority, created_at: t.created_at.toISOString() })),
      }));
    }
    if (all.length === 0) return void ctx.io.out(`No active todos for ${ctx.project}.`);
    ctx.io.out(all.map((t) => `[${t.status === 'in_progress' ? '>' : ' '}] [P${t.priority}] ${taskPrefix(t.task_id)}${oneLine(t.content)}  (${t.todo_id})`).join('\n'));
  },
};

/** "30d", "30" or "2w" as whole days. */
export function parseAge(text: string): number {
  const m = /^\s*(\d+)\s*(d|day|days|w|week|weeks)?\s*$/i.exec(text);
  if (!m) throw new UsageError(`--older-than must look like 30d or 2w, got ${JSON.stringify(text)}`, 'todos archive');
  const n = Number(m[1]);
  const days = /^w/i.test(m[2] ?? '') ? n * 7 : n;
  // Beyond this the database cannot compute the cut-off date (integer / timestamp out of range).
  if (days > 36_500) throw new UsageError(`--older-than must be at most 36500 days (100 years), got ${JSON.stringify(text)}`, 'todos archive');
  return days;
}

export const todosArchive: Command = {
  name: 'todos archive',
  summary: 'Soft-delete the project\'s pending todos created more than the given age ago (they stay in the table for history).',
  usage: '--older-than AGE [--all-projects] [--yes]',
  details: [
    '  --older-than AGE  e.g. 30d or 2w (required)',
    '  --all-projects    archive across every project, not only this one',
    '  --yes             confirm a wide archive: --older-than 0d (every pending todo) or --all-projects',
  ],
  options: { 'older-than': { type: 'string' }, 'all-projects': { type: 'boolean' }, yes: { type: 'boolean' } },
  async run(args, ctx) {
    const days = parseAge(requireStr(args, 'older-than', this.name));
    const all = flag(args, 'all-projects');
    if ((days === 0 || all) && !flag(args, 'yes')) {
      const what = [days === 0 ? '--older-than 0d archives every pending todo' : '', all ? '--all-projects archives in every project' : ''].filter(Boolean).join(' and ');
      throw new UsageError(`${what}; add --yes to confirm (nothing was changed)`, this.name);
    }
    const n = await withDb(ctx, async (db) => {
      if (all) return archiveStalePendingTodos(db, days);
      const project = await getProjectByName(db, ctx.project);
      return project ? archiveStalePendingTodos(db, days, project.project_id) : 0;
    });
    ctx.io.out(`Archived ${n} pending todo(s) older than ${days} day(s)${all ? ' in all projects' : ` in ${ctx.project}`}.`);
  },
};
