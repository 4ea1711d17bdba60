import * as z from 'zod/mini';
import { redact } from '../core/db/db.js';
import { appendToSpool } from '../core/events/spool.js';
import { parseMcpToolName } from '../core/repos/mcpUsage.js';
import { deliver, eventFor, hookContext, payloadOrReject, PostToolUsePayload, warn } from './common.js';

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
      text = JSON.stringify(error);
    } catch {
      text = String(error);
    }
  }
  text = redact(text.replace(/\u0000/g, '\uFFFD')).trim();
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
  if (!config.databaseUrl) {
    appendToSpool(config.dataDir, event);
    return;
  }
  const delivery = await deliver(config, event, { migrate: 'if-behind' });
  await delivery.db?.close().catch(() => {});
  if (delivery.spooledBecause) warn(NAME, delivery.spooledBecause);
}
