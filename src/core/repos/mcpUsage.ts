import type { Queryable } from '../db/db.js';
import { McpUsageInput, Uuid, parseInput, type McpUsageRow } from '../models.js';

const COLUMNS = 'usage_id, mcp_server, tool_name, session_id, claude_session_id, success, duration_ms, error, called_at';

/** Splits Claude Code's MCP tool name `mcp__<server>__<tool>`; undefined for any other tool. */
export function parseMcpToolName(toolName: string): { server: string; tool: string } | undefined {
  const match = /^mcp__(.+?)__(.+)$/.exec(toolName);
  return match ? { server: match[1]!, tool: match[2]! } : undefined;
}

export async function recordMcpUsage(q: Queryable, input: McpUsageInput): Promise<McpUsageRow> {
  const d = parseInput(McpUsageInput, input, 'MCP usage');
  const { rows } = await q.query<McpUsageRow>(
    `INSERT INTO claude.mcp_usage (mcp_server, tool_name, session_id, claude_session_id, success, duration_ms, error, called_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, COALESCE($8::timestamptz, now()))
     RETURNING ${COLUMNS}`,
    [d.mcpServer, d.toolName, d.sessionId ?? null, d.claudeSessionId ?? null, d.success, d.durationMs ?? null, d.error ?? null, d.calledAt ?? null],
  );
  return rows[0]!;
}

export async function usageForSession(q: Queryable, sessionId: string): Promise<McpUsageRow[]> {
  const { rows } = await q.query<McpUsageRow>(
    `SELECT ${COLUMNS} FROM claude.mcp_usage WHERE session_id = $1 ORDER BY called_at`,
    [parseInput(Uuid, sessionId, 'session id')],
  );
  return rows;
}

export interface McpUsageSummary {
  mcp_server: string;
  tool_name: string;
  calls: number;
  failures: number;
}

export async function summariseMcpUsage(q: Queryable, sinceDays = 30): Promise<McpUsageSummary[]> {
  const { rows } = await q.query<McpUsageSummary>(
    `SELECT mcp_server, tool_name, count(*)::int AS calls, count(*) FILTER (WHERE NOT success)::int AS failures
     FROM claude.mcp_usage WHERE called_at > now() - make_interval(days => $1::int)
     GROUP BY mcp_server, tool_name ORDER BY calls DESC`,
    [sinceDays],
  );
  return rows;
}
