// MCP health: calls and failures per server and tool over the last days, failure rate first, each with
// its last error's first line (password-redacted). One statement: the counts come from the covering index
// mcp_usage_called_at_idx, each last error from the partial index of failures (migration 007).
import type { Queryable } from '../db/db.js';
import { errorLine } from './text.js';

export interface McpToolHealth {
  server: string;
  tool: string;
  calls: number;
  failures: number;
  /** failures / calls, from 0 to 1. */
  failureRate: number;
  lastCallAt: Date;
  lastError: string | null;
  lastErrorAt: Date | null;
}

/** Most server/tool rows returned (the worst first). */
export const MCP_HEALTH_LIMIT = 50;

export async function loadMcpHealth(q: Queryable, days = 7, limit = MCP_HEALTH_LIMIT): Promise<McpToolHealth[]> {
  const { rows } = await q.query<{ mcp_server: string; tool_name: string; calls: number; failures: number; last_call: Date; last_error: string | null; last_error_at: Date | null }>(
    `WITH agg AS (
       SELECT mcp_server, tool_name, count(*)::int AS calls, count(*) FILTER (WHERE NOT success)::int AS failures, max(called_at) AS last_call
         FROM claude.mcp_usage WHERE called_at >= now() - make_interval(days => $1::int)
        GROUP BY mcp_server, tool_name)
     SELECT a.mcp_server, a.tool_name, a.calls, a.failures, a.last_call, e.error AS last_error, e.called_at AS last_error_at
       FROM agg a
       LEFT JOIN LATERAL (
         SELECT left(u.error, 2000) AS error, u.called_at FROM claude.mcp_usage u
          WHERE u.mcp_server = a.mcp_server AND u.tool_name = a.tool_name AND NOT u.success
          ORDER BY u.called_at DESC LIMIT 1) e ON a.failures > 0
      ORDER BY a.failures::float8 / a.calls DESC, a.failures DESC, a.calls DESC, a.mcp_server, a.tool_name
      LIMIT $2`,
    [days, limit],
  );
  return rows.map((r) => ({
    server: r.mcp_server,
    tool: r.tool_name,
    calls: r.calls,
    failures: r.failures,
    failureRate: r.calls > 0 ? r.failures / r.calls : 0,
    lastCallAt: r.last_call,
    lastError: r.failures > 0 ? (errorLine(r.last_error) ?? '(no error text)') : null,
    lastErrorAt: r.last_error_at,
  }));
}
