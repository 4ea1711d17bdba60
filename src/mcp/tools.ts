// The MCP server's tools: recall for Claude in the middle of a session. Progressive disclosure: `search`
// returns at most 10 short hits (ids and snippets); `get` returns one entry in full. Every input is
// validated by its zod schema (the SDK refuses a call that does not match) and again by the repositories.
import * as z from 'zod/mini';
import type { Db } from '../core/db/db.js';
import { getProjectByName, listProjectSummaries, requireProject } from '../core/repos/projects.js';
import { projectLine } from '../core/render/format.js';
import { writeKnowledgeFromClaude } from '../core/knowledge/write.js';
import { sendMessage } from '../core/repos/messages.js';
import { countTodos, listActiveTodos } from '../core/repos/todos.js';
import { oneLine, renderHandoffText } from '../core/render/handoff.js';
import { renderEntry, renderHits } from '../core/render/memory.js';
import { taskPrefix } from '../core/render/format.js';
import { loadHandoff } from '../core/session/handoff.js';
import { getEntry } from '../core/search/entry.js';
import { SEARCH_KINDS, searchMemory } from '../core/search/search.js';
import { loadOverview } from '../core/overview/overview.js';
import { renderOverviewText } from '../core/render/overview.js';

/** What the tools need: the project the server runs for, and the database for one call at a time. */
export interface ToolHost {
  project: string;
  withDb<T>(fn: (db: Db) => Promise<T>): Promise<T>;
}

/** Most search hits a tool returns, and most characters of one full entry. */
export const TOOL_MAX_HITS = 10;
export const TOOL_MAX_ENTRY_CHARS = 20_000;

/** A schema with a description (it becomes the JSON Schema's "description", which Claude reads). */
function describe<T extends z.ZodMiniType>(schema: T, description: string): T {
  z.globalRegistry.add(schema, { description });
  return schema;
}
/** A string that must hold something besides white space (an empty one would only fail later). */
const nonEmpty = (max: number) => z.string().check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(max));
const project = z.optional(describe(nonEmpty(200), 'a project name (default: the project this server runs in; see the projects tool)'));

export interface ToolDef {
  name: string;
  title: string;
  description: string;
  inputSchema: Record<string, z.ZodMiniType>;
  readOnly: boolean;
  run(host: ToolHost, args: Record<string, unknown>): Promise<string>;
}

function tool<S extends Record<string, z.ZodMiniType>>(def: Omit<ToolDef, 'inputSchema' | 'run'> & { inputSchema: S; run(host: ToolHost, args: z.infer<z.ZodMiniObject<S>>): Promise<string> }): ToolDef {
  return def;
}

export const TOOLS: readonly ToolDef[] = [
  tool({
    name: 'handoff',
    title: 'Where we left off',
    description: "The project's current focus, last session, next steps, active todos and pending messages.",
    readOnly: true,
    inputSchema: { project },
    run: (host, args) =>
      host.withDb(async (db) => {
        if (args.project !== undefined) await requireProject(db, args.project);
        return renderHandoffText(await loadHandoff(db, args.project ?? host.project, { todoLimit: 10, messageLimit: 5 }));
      }),
  }),
  tool({
    name: 'search',
    title: 'Search memory',
    description:
      "Full-text search over knowledge entries (the user's notes for this project and for every project; one marked " +
      '"pending review" was written by Claude and not yet accepted by a person: treat it with care), past sessions (summary, tasks, learnings) and todos. ' +
      'Web-search syntax: all words must match, "a phrase", this OR that, -excluded. Returns at most 10 hits, each with its ' +
      'kind, id, project, date and a short snippet; call get with an id for the full entry.',
    readOnly: true,
    inputSchema: {
      query: describe(nonEmpty(1_000_000), 'what to look for (a long one is cut, never refused)'),
      kinds: z.optional(describe(z.array(z.enum(SEARCH_KINDS)).check(z.maxLength(3)), 'which of knowledge, sessions, todos (default all)')),
      project,
      all_projects: z.optional(describe(z.boolean(), 'sessions and todos of every project, not just this one')),
      limit: z.optional(describe(z.int().check(z.gte(1), z.lte(TOOL_MAX_HITS)), `how many hits (1-${TOOL_MAX_HITS}, default 5)`)),
    },
    run: async (host, args) => {
      if (args.all_projects && args.project !== undefined) throw new Error('give project or all_projects, not both');
      const hits = await host.withDb(async (db) => {
        if (args.project !== undefined) await requireProject(db, args.project);
        return searchMemory(db, { query: args.query, kinds: args.kinds, project: args.all_projects ? undefined : (args.project ?? host.project), limit: args.limit ?? 5 });
      });
      return renderHits(hits, args.query);
    },
  }),
  tool({
    name: 'get',
    title: 'Get an entry',
    description:
      'One knowledge entry, session or todo in full, by the id search, the SessionStart handoff or the knowledge block at the prompt gave. ' +
      'A knowledge entry comes with its whole note and the notes its [[wikilinks]] name.',
    readOnly: true,
    inputSchema: { id: describe(z.uuid(), 'the id of a knowledge entry, session or todo') },
    run: async (host, args) => {
      const entry = await host.withDb((db) => getEntry(db, args.id));
      if (!entry) throw new Error(`no knowledge entry, session or todo has the id ${args.id}`);
      return renderEntry(entry, TOOL_MAX_ENTRY_CHARS);
    },
  }),
  tool({
    name: 'add_knowledge',
    title: 'Add knowledge',
    description:
      'Store a reusable pattern you discovered, so later sessions find it. An entry with the same pattern name is updated: ' +
      'only the fields you give change, the others are kept. What you write is held for review: it is found by search ' +
      '(labelled "pending review") but not put into any prompt until a person accepts it.',
    readOnly: false,
    inputSchema: {
      pattern_name: describe(nonEmpty(300), 'a short, unique name for the pattern (an existing name updates that entry)'),
      category: z.optional(describe(nonEmpty(100), 'e.g. testing, postgres, typescript (required for a new entry)')),
      description: z.optional(describe(z.string().check(z.maxLength(50_000)), 'what it is and when to use it (a new entry needs this or a body)')),
      body: z.optional(describe(z.string().check(z.maxLength(200_000)), 'the whole note, in Markdown')),
      projects: z.optional(describe(z.array(z.string().check(z.maxLength(200))).check(z.maxLength(50)), 'the projects it applies to (empty: every project)')),
      tags: z.optional(describe(z.array(z.string().check(z.maxLength(100))).check(z.maxLength(50)), 'tags to find it by')),
      example_code: z.optional(describe(z.string().check(z.maxLength(100_000)), 'example code')),
      gotchas: z.optional(describe(z.array(z.string().check(z.maxLength(10_000))).check(z.maxLength(50)), 'pitfalls, one per item')),
      confidence: z.optional(describe(z.int().check(z.gte(1), z.lte(10)), '1 (a hunch) to 10 (proven); default 5')),
    },
    run: async (host, args) => {
      const k = await host.withDb((db) =>
        writeKnowledgeFromClaude(db, {
          patternName: args.pattern_name,
          ...(args.category !== undefined ? { category: args.category } : {}),
          ...(args.description !== undefined ? { description: args.description } : {}),
          ...(args.body !== undefined ? { body: args.body } : {}),
          ...(args.projects !== undefined ? { projects: args.projects } : {}),
          ...(args.tags !== undefined ? { tags: args.tags } : {}),
          ...(args.example_code !== undefined ? { exampleCode: args.example_code } : {}),
          ...(args.gotchas !== undefined ? { gotchas: args.gotchas } : {}),
          ...(args.confidence !== undefined ? { confidenceLevel: args.confidence } : {}),
        }),
      );
      const what = k.created ? 'Added' : `Updated (${k.fields.length > 0 ? k.fields.join(', ') : 'nothing but the review mark'})`;
      return `${what} knowledge "${oneLine(k.pattern_name, 120)}" (${oneLine(k.category, 40)}), id ${k.knowledge_id}. Pending review: a person accepts it before it reaches a prompt.`;
    },
  }),
  tool({
    name: 'list_todos',
    title: 'List todos',
    description: "The project's active todos: in progress, then pending, by priority.",
    readOnly: true,
    inputSchema: { project, limit: z.optional(describe(z.int().check(z.gte(1), z.lte(50)), 'most todos of each status (default 20)')) },
    run: async (host, args) => {
      const name = args.project ?? host.project;
      const limit = args.limit ?? 20;
      const { todos, totals } = await host.withDb(async (db) => {
        const p = args.project !== undefined ? await requireProject(db, name) : await getProjectByName(db, name);
        if (!p) return { todos: [], totals: 0 };
        const [active, counts] = await Promise.all([listActiveTodos(db, p.project_id, limit), countTodos(db, p.project_id)]);
        return { todos: [...active.inProgress, ...active.pending], totals: counts.in_progress + counts.pending };
      });
      if (todos.length === 0) return `No active todos for ${oneLine(name, 100)}.`;
      const lines = todos.map((t) => `[${t.status === 'in_progress' ? '>' : ' '}] [P${t.priority}] ${taskPrefix(t.task_id)}${oneLine(t.content, 200)} (id ${t.todo_id})`);
      if (totals > todos.length) lines.push(`… and ${totals - todos.length} more`);
      return lines.join('\n');
    },
  }),
  tool({
    name: 'overview',
    title: 'Overview of every project',
    description:
      'What is going on across all projects: per project its focus, todo counts, next steps, last session, pending messages ' +
      'and sessions running now; sessions per day; MCP calls and failures per server and tool over 7 days (failure rate first, ' +
      'with the last error); the knowledge entries delivered most, and those never delivered.',
    readOnly: true,
    inputSchema: { days: z.optional(describe(z.int().check(z.gte(1), z.lte(365)), 'sessions per day over this many days (1-365, default 30)')) },
    run: async (host, args) => renderOverviewText(await host.withDb((db) => loadOverview(db, { days: args.days ?? 30 }))),
  }),
  tool({
    name: 'send_message',
    title: 'Send a message to another project',
    description: "Leave a message for another project; its next session shows it in \"where we left off\".",
    readOnly: false,
    inputSchema: {
      to: describe(nonEmpty(200), 'the project to send it to (see the projects tool)'),
      body: describe(nonEmpty(20_000), 'the message'),
    },
    run: async (host, args) => {
      const m = await host.withDb(async (db) => {
        if (args.to !== host.project) await requireProject(db, args.to);
        return sendMessage(db, { fromProject: host.project, toProject: args.to, body: args.body });
      });
      return `Message sent to ${oneLine(m.to_project, 100)}, id ${m.message_id}.`;
    },
  }),
  tool({
    name: 'projects',
    title: 'List projects',
    description: 'Every project the memory knows (the names send_message, handoff, list_todos and search accept), with its last session.',
    readOnly: true,
    inputSchema: {},
    run: async (host) => {
      const rows = await host.withDb((db) => listProjectSummaries(db));
      if (rows.length === 0) return 'No projects yet.';
      return rows.map((r) => projectLine(r, host.project)).join('\n');
    },
  }),
];
