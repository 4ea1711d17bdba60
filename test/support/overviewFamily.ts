// A family of projects for the overview (test/overview.test.ts, the view's tests, the screenshots):
// one busy project with a session running now, a quieter one, an idle one, an archived one and one never
// used; MCP calls with failures (one error holding a password), and knowledge delivered or never.
import type { Queryable } from '../../src/core/db/db.js';

export const FAMILY = {
  busy: 'alpha-api',
  quiet: 'beta-web',
  idle: 'gamma-old',
  archived: 'delta-archived',
  fresh: 'epsilon-new',
} as const;

export const SECRET = 'hunter2';

const H = 3_600_000;
const D = 24 * H;

/** Seeds the family with times relative to `now` (the database's clock should be close to it). */
export async function seedFamily(db: Queryable, now: Date = new Date()): Promise<void> {
  const at = (msAgo: number) => new Date(now.getTime() - msAgo).toISOString();
  await db.query(`INSERT INTO claude.projects (project_name, archived_at) VALUES ($1, NULL), ($2, NULL), ($3, NULL), ($4, $6::timestamptz), ($5, NULL)`, [
    FAMILY.busy, FAMILY.quiet, FAMILY.idle, FAMILY.archived, FAMILY.fresh, at(5 * D),
  ]);
  const pid = async (name: string) => (await db.query<{ project_id: string }>('SELECT project_id FROM claude.projects WHERE project_name = $1', [name])).rows[0]!.project_id;
  const busy = await pid(FAMILY.busy);
  const quiet = await pid(FAMILY.quiet);
  const idle = await pid(FAMILY.idle);
  const archived = await pid(FAMILY.archived);

  await db.query(
    `INSERT INTO claude.session_state (project_name, current_focus, next_steps, updated_at) VALUES
       ($1, E'Ship the all-projects view\\nwith a second line', '["Chart", "MCP health", "Knowledge"]', $3::timestamptz),
       ($2, 'Fix the login redirect', '["Deploy"]', $4::timestamptz)`,
    [FAMILY.busy, FAMILY.quiet, at(3 * H), at(2 * D)],
  );

  const session = async (project: string, startAgo: number, endAgo: number | null, summary: string | null) =>
    (
      await db.query<{ session_id: string }>(
        `INSERT INTO claude.sessions (project_id, session_start, session_end, session_summary) VALUES ($1, $2::timestamptz, $3::timestamptz, $4) RETURNING session_id`,
        [project, at(startAgo), endAgo === null ? null : at(endAgo), summary],
      )
    ).rows[0]!.session_id;
  await session(busy, 10 * 60_000, null, null); // running now
  await session(busy, 2 * H, 1 * H, 'Added the overview queries\nand their indexes');
  await session(busy, 1 * D + 2 * H, 1 * D + H, 'Wrote the text table');
  await session(busy, 1 * D + 5 * H, 1 * D + 4 * H, 'Sketched the chart');
  await session(busy, 3 * D, 3 * D - H, 'Read the issue');
  await session(busy, 10 * D, 10 * D - H, 'Started');
  await session(busy, 40 * D, 40 * D - H, 'Long ago, outside the chart');
  await session(busy, 30 * H, null, null); // open but cut off long ago: not live
  await session(quiet, 2 * D, 2 * D - H, 'Fixed the login redirect');
  await session(quiet, 6 * D, 6 * D - H, 'Found the login bug');
  await session(idle, 20 * D, 20 * D - H, 'Last touched three weeks ago');
  await session(archived, 1 * D + 3 * H, 1 * D + 2 * H, 'Wrapped up before archiving');

  await db.query(
    `INSERT INTO claude.todos (project_id, content, active_form, status, completed_at, is_deleted, deleted_at) VALUES
       ($1, 'Chart', 'Drawing the chart', 'in_progress', NULL, false, NULL),
       ($1, 'Queries', 'Writing queries', 'in_progress', NULL, false, NULL),
       ($1, 'Bench', 'Benching', 'pending', NULL, false, NULL),
       ($1, 'Screenshots', 'Taking screenshots', 'pending', NULL, false, NULL),
       ($1, 'README', 'Writing the README', 'pending', NULL, false, NULL),
       ($1, 'Done already', 'Done', 'completed', now(), false, NULL),
       ($1, 'Deleted', 'Deleted', 'pending', NULL, true, now()),
       ($2, 'Deploy', 'Deploying', 'pending', NULL, false, NULL)`,
    [busy, quiet],
  );
  await db.query(
    `INSERT INTO claude.messages (from_project, to_project, body, status, read_at) VALUES
       ($2, $1, 'Can you expose the overview over MCP?', 'pending', NULL),
       ($2, $1, 'And a JSON form', 'pending', NULL),
       ($2, $1, 'Old, read', 'read', now())`,
    [FAMILY.busy, FAMILY.quiet],
  );

  const calls = async (server: string, tool: string, n: number, failures: number, agoFrom: number, error: (i: number) => string) => {
    for (let i = 0; i < n; i++) {
      const failed = i < failures;
      await db.query(`INSERT INTO claude.mcp_usage (mcp_server, tool_name, success, error, called_at) VALUES ($1, $2, $3, $4, $5::timestamptz)`, [
        server, tool, !failed, failed ? error(i) : null, at(agoFrom + i * H),
      ]);
    }
  };
  // i = 0 is the latest call: its error is the one shown.
  await calls('github', 'create_issue', 4, 3, 30 * 60_000, (i) => (i === 0 ? `connect failed: postgres://bob:${SECRET}@db.example/x refused\n    at Socket.connect (net.js:1)` : `older error ${i}`));
  await calls('github', 'list_issues', 5, 1, H, () => 'rate limited');
  await calls('claude-family', 'search', 10, 0, H, () => '');
  await calls('stale', 'old_tool', 3, 3, 8 * D, () => 'too old to count');

  await db.query(
    `INSERT INTO claude.knowledge (pattern_name, category, description, review, archived_at, source_note_path) VALUES
       ('Advisory lock migrations', 'postgres', 'Serialise migrations', 'accepted', NULL, 'Knowledge/Advisory lock migrations.md'),
       ('Code cache for hooks', 'node', 'V8 code cache', 'accepted', NULL, NULL),
       ('Delivered long ago', 'misc', 'Old', 'accepted', NULL, NULL),
       ('Never used pattern', 'misc', 'Nobody asked', 'accepted', NULL, NULL),
       ('Archived pattern', 'misc', 'Gone', 'accepted', now(), NULL),
       ('Pending review', 'misc', 'Claude wrote it', 'pending', NULL, NULL)`,
  );
  const deliver = async (name: string, ago: number) =>
    db.query(
      `INSERT INTO claude.knowledge_retrievals (knowledge_id, claude_session_id, project_id, channel, rank, entry_hash, retrieved_at)
       SELECT knowledge_id, 'cc-1', $3::uuid, 'prompt', 1, entry_hash, $2::timestamptz FROM claude.knowledge WHERE pattern_name = $1`,
      [name, at(ago), busy],
    );
  for (const ago of [H, 2 * H, 3 * D]) await deliver('Advisory lock migrations', ago);
  await deliver('Advisory lock migrations', 40 * D);
  await deliver('Code cache for hooks', 5 * D);
  await deliver('Delivered long ago', 45 * D);
}
