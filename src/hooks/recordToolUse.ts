// The PostToolUse work, loaded by post-tool-use.ts only for a tool we record. TodoWrite lists go to
// claude.todos as a diff; `mcp__<server>__<tool>` calls become one claude.mcp_usage row. The event is
// written directly, to the configured server or the local one alike (spooled on failure).
import * as z from 'zod/mini';
import { issuesText } from '../core/issueText.js';
import { parseMcpToolName } from '../core/repos/mcpUsage.js';
import { TodoWriteItem } from '../core/session/todoSync.js';
import { deliver, eventFor, HOT_REPLAY_BUDGET_MS, hookContext, HookFailure, orReject, payloadOrReject, PostToolUsePayload, warn } from './common.js';
import { mcpOutcome } from './mcpOutcome.js';

const NAME = 'post-tool-use';

const TodoWriteInput = z.looseObject({ todos: z.array(TodoWriteItem).check(z.maxLength(2000)) });

type Recorded =
  | { kind: 'todo_write'; todos: z.infer<typeof TodoWriteInput>['todos'] }
  | ({ kind: 'mcp_call'; server: string; tool: string } & ReturnType<typeof mcpOutcome>);

/** What to record for this tool call; undefined for a tool we do not record. Throws HookFailure on bad input. */
function recordedFor(payload: z.infer<typeof PostToolUsePayload>): Recorded | undefined {
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
  const recorded = orReject(raw, NAME, () => recordedFor(payload));
  if (!recorded) return; // not a tool we record: exit 0 silently, write nothing

  const { config, project } = hookContext(raw, NAME, payload.cwd);
  const event = eventFor(raw, NAME, { ...recorded, project, claude_session_id: payload.session_id });

  // The one-time import of old PGlite data takes seconds: SessionStart (30 s limit) does it, not this hot path.
  const delivery = await deliver(config, event, { migrate: 'if-behind', replayBudgetMs: HOT_REPLAY_BUDGET_MS, importLegacy: false });
  await delivery.db?.close().catch(() => {});
  if (delivery.spooledBecause) warn(NAME, delivery.spooledBecause);
}
