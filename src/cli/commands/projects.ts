import { listProjectSummaries } from '../../core/repos/projects.js';
import { projectLine } from '../../core/render/format.js';
import { flag, json, type Command } from '../command.js';
import { withDbReadOnly } from '../context.js';

export const projects: Command = {
  name: 'projects',
  summary: 'List the projects the memory knows (the names --project, message send --to and the MCP tools accept).',
  usage: '[--json]',
  details: ['  --json           print JSON'],
  options: { json: { type: 'boolean' } },
  async run(args, ctx) {
    const rows = await withDbReadOnly(ctx, (db) => listProjectSummaries(db));
    let current: string | undefined;
    try {
      current = ctx.project;
    } catch {
      // not in a project: nothing to mark
    }
    if (flag(args, 'json')) {
      return void ctx.io.out(json({ projects: rows.map((r) => ({ ...r, last_session_at: r.last_session_at?.toISOString() ?? null, current: r.project_name === current })) }));
    }
    if (rows.length === 0) return void ctx.io.out('No projects yet (a project is added by its first session).');
    ctx.io.out(rows.map((r) => projectLine(r, current)).join('\n'));
  },
};
