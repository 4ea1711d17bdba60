/** Success or failure of an MCP tool call, read from the PostToolUse payload's tool_response. */
export interface McpOutcome {
  success: boolean;
  error?: string;
}

function text(value: unknown): string | undefined {
  if (value === undefined || value === null || value === false) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string') return (value as { message: string }).message;
  try {
    return JSON.stringify(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** The text of an MCP result's content blocks ({ content: [{ type: 'text', text }] }), if any. */
function contentText(response: Record<string, unknown>): string | undefined {
  const content = response.content;
  if (!Array.isArray(content)) return undefined;
  const parts = content
    .map((c) => (typeof c === 'object' && c !== null && typeof (c as { text?: unknown }).text === 'string' ? (c as { text: string }).text : undefined))
    .filter((t): t is string => t !== undefined);
  return parts.length > 0 ? parts.join('\n') : undefined;
}

/**
 * An object response with is_error / isError true, or with an `error` field, is a failure; anything else
 * (including a plain string or array result) is a success. The error text is kept, cut to 2000 characters.
 */
export function mcpOutcome(response: unknown): McpOutcome {
  if (typeof response !== 'object' || response === null || Array.isArray(response)) return { success: true };
  const r = response as Record<string, unknown>;
  const flagged = r.is_error === true || r.isError === true;
  const errorField = r.error !== undefined && r.error !== null && r.error !== false;
  if (!flagged && !errorField) return { success: true };
  const message = (errorField ? text(r.error) : undefined) ?? contentText(r) ?? 'the tool reported an error';
  // Postgres text cannot hold NUL: a tool's binary error output keeps its text, the NULs become U+FFFD.
  // eslint-disable-next-line no-control-regex -- NUL is exactly what is being replaced
  return { success: false, error: message.slice(0, 2000).replace(/\u0000/g, '\uFFFD') };
}
