import * as z from 'zod/mini';
import { redact } from '../core/db/db.js';
import { parseMcpToolName } from '../core/repos/mcpUsage.js';
import { deliver, eventFor, hookContext, HOT_REPLAY_BUDGET_MS, payloadOrReject, PostToolUsePayload, warn } from './common.js';

const NAME = 'post-tool-use-failure';
/** How much of a failed call's error text is kept. */
export const MAX_FAILURE_ERROR = 500;

export const PostToolUseFailurePayload = z.looseObject({
  ...PostToolUsePayload.shape,
  error: z.optional(z.unknown()),
  is_interrupt: z.optional(z.boolean()),
  tool_use_id: z.optional(z.string()),
});

/** The error as one bounded line of text, with any password in a connection string replaced by ***. */
export function failureText(error: unknown, interrupted: boolean): string {
  let text: string;
  if (typeof error === 'string') text = error;
  else if (error === undefined || error === null) text = '';
  else if (typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') text = (error as { message: string }).message;
  else {
    try {
      text = JSON.stringify(error) ?? '';
    } catch {
      text = '(an error value that cannot be written as JSON)'; // a cycle, or a bigint
    }
  }
  text = redact(text.replaceAll('\u0000', '\uFFFD')).trim();
  if (interrupted) text = `interrupted by the user${text ? `: ${text}` : ''}`;
  if (text === '') text = 'the tool call failed (no error text)';
  return text.length > MAX_FAILURE_ERROR ? `${text.slice(0, MAX_FAILURE_ERROR - 1)}…` : text;
}

export async function recordToolFailure(raw: string): Promise<void> {
  const payload = payloadOrReject(PostToolUseFailurePayload, raw, 'PostToolUseFailure', NAME);
  const mcp = parseMcpToolName(payload.tool_name);
  if (!mcp) return; // only MCP calls are recorded
  const { config, project } = hookContext(raw, NAME, payload.cwd);
  const event = eventFor(raw, NAME, {
    kind: 'mcp_call',
    project,
    claude_session_id: payload.session_id,
    server: mcp.server,
    tool: mcp.tool,
    success: false,
    error: failureText(payload.error, payload.is_interrupt === true),
  });
  const delivery = await deliver(config, event, { migrate: 'if-behind', replayBudgetMs: HOT_REPLAY_BUDGET_MS, importLegacy: false, upgrade: false });
  await delivery.db?.close().catch(() => {});
  if (delivery.spooledBecause) warn(NAME, delivery.spooledBecause);
}
