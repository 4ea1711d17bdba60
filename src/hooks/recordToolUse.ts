// The PostToolUse work, loaded by post-tool-use.ts only for a tool we record. TodoWrite lists go to
// claude.todos as a diff; so do TaskCreate / TaskUpdate calls, as the whole task list read from Claude
// Code's task directory (or, when it cannot be read, what the payload says about the one task);
// `mcp__<server>__<tool>` calls become one claude.mcp_usage row. The event goes through the spool
// first and is applied in order, to the configured server or the local one alike.
import * as z from 'zod/mini';
import { issuesText } from '../core/issueText.js';
import { parseMcpToolName } from '../core/repos/mcpUsage.js';
import { readTaskList, taskChangeFromPayload, taskListDir, taskListIdFor } from '../core/session/taskFiles.js';
import { TodoWriteItem, type TaskChange, type TaskItem } from '../core/session/todoSync.js';
import { deliver, eventFor, HOT_REPLAY_BUDGET_MS, hookContext, HookFailure, orReject, payloadOrReject, PostToolUsePayload, warn } from './common.js';
import { mcpOutcome } from './mcpOutcome.js';

const NAME = 'post-tool-use';

const TodoWriteInput = z.looseObject({ todos: z.array(TodoWriteItem).check(z.maxLength(2000)) });

type Recorded =
  | { kind: 'todo_write'; todos: z.infer<typeof TodoWriteInput>['todos'] }
  | { kind: 'task_list'; task_list_id: string; tasks: TaskItem[]; unreadable?: string[] }
  | { kind: 'task_change'; task_list_id: string; change: TaskChange }
  | ({ kind: 'mcp_call'; server: string; tool: string } & ReturnType<typeof mcpOutcome>);

/**
 * A TaskCreate / TaskUpdate call: the task list as it is on disk now (Claude Code wrote it before running
 * the hook), else what the payload says. `problems` gets a line when the directory could not be used.
 */
function taskRecorded(payload: z.infer<typeof PostToolUsePayload>, toolName: 'TaskCreate' | 'TaskUpdate', problems: string[]): Recorded {
  const listId = taskListIdFor(payload.session_id);
  const dir = taskListDir(listId);
  const read = dir ? readTaskList(dir) : { ok: false as const, reason: `task list id ${JSON.stringify(listId)} is not a directory name` };
  if (read.ok) {
    if (read.unreadable.length > 0) problems.push(`task file(s) ${read.unreadable.map((id) => `${id}.json`).join(', ')} in ${dir} could not be read; left as they were`);
    return { kind: 'task_list', task_list_id: listId, tasks: read.tasks, ...(read.unreadable.length > 0 ? { unreadable: read.unreadable.slice(0, 5000) } : {}) };
  }
  const change = taskChangeFromPayload(toolName, payload.tool_input, payload.tool_response);
  if (!change) throw new HookFailure(`${toolName}: the task list cannot be read (${read.reason}) and the payload names no task id`);
  problems.push(`the task list cannot be read (${read.reason}); recorded what the ${toolName} payload says`);
  return { kind: 'task_change', task_list_id: listId, change };
}

/** What to record for this tool call; undefined for a tool we do not record. Throws HookFailure on bad input. */
function recordedFor(payload: z.infer<typeof PostToolUsePayload>, problems: string[]): Recorded | undefined {
  if (payload.tool_name === 'TaskCreate' || payload.tool_name === 'TaskUpdate') return taskRecorded(payload, payload.tool_name, problems);
  if (payload.tool_name === 'TodoWrite') {
    const input = TodoWriteInput.safeParse(payload.tool_input);
    if (!input.success) {
      throw new HookFailure(`invalid TodoWrite input: ${issuesText(input.error.issues, ['tool_input'])}`);
    }
    return { kind: 'todo_write', todos: input.data.todos };
  }
  const mcp = parseMcpToolName(payload.tool_name);
  if (mcp) return { kind: 'mcp_call', server: mcp.server, tool: mcp.tool, ...mcpOutcome(payload.tool_response) };
  if (payload.tool_name.startsWith('mcp__')) {
    throw new HookFailure(`malformed MCP tool name ${JSON.stringify(payload.tool_name)}: expected mcp__<server>__<tool>, both non-empty`);
  }
  return undefined;
}

export async function recordToolUse(raw: string): Promise<void> {
  const payload = payloadOrReject(PostToolUsePayload, raw, 'PostToolUse', NAME);
  const problems: string[] = [];
  const recorded = orReject(raw, NAME, () => recordedFor(payload, problems));
  if (!recorded) return; // not a tool we record: exit 0 silently, write nothing

  const { config, project } = hookContext(raw, NAME, payload.cwd);
  const event = eventFor(raw, NAME, { ...recorded, project, claude_session_id: payload.session_id });

  // The one-time import of old PGlite data takes seconds: SessionStart (30 s limit) does it, not this hot path.
  const delivery = await deliver(config, event, { migrate: 'if-behind', replayBudgetMs: HOT_REPLAY_BUDGET_MS, importLegacy: false, upgrade: false });
  await delivery.db?.close().catch(() => {});
  if (delivery.spooledBecause) problems.push(delivery.spooledBecause);
  // ONE line on stderr, whatever went wrong.
  if (problems.length > 0) warn(NAME, problems.join('; also '));
}
