// Every project at a glance: the four sections of the overview, each one statement (one round trip),
// read together. The CLI's `overview`, the MCP tool `overview` and the plugin's "all projects" view show it.
import type { Queryable } from '../db/db.js';
import { loadKnowledgeUse, type KnowledgeUse } from './knowledgeUse.js';
import { loadMcpHealth, type McpToolHealth } from './mcpHealth.js';
import { loadProjectSummaries, type ProjectSummary } from './projectSummaries.js';
import { loadSessionActivity, type SessionActivity } from './sessionActivity.js';

export interface OverviewOptions {
  /** Sessions per day over this many days (default 30). */
  days?: number;
  /** MCP health over this many days (default 7). */
  mcpDays?: number;
  /** Knowledge deliveries over this many days (default 30). */
  knowledgeDays?: number;
  now?: Date;
}

export interface Overview {
  generatedAt: Date;
  days: number;
  mcpDays: number;
  knowledgeDays: number;
  projects: ProjectSummary[];
  activity: SessionActivity;
  mcp: McpToolHealth[];
  knowledge: KnowledgeUse;
}

/** Reads the four sections; on a pool they run side by side. */
export async function loadOverview(q: Queryable, options: OverviewOptions = {}): Promise<Overview> {
  const now = options.now ?? new Date();
  const days = options.days ?? 30;
  const mcpDays = options.mcpDays ?? 7;
  const knowledgeDays = options.knowledgeDays ?? 30;
  const [projects, activity, mcp, knowledge] = await Promise.all([
    loadProjectSummaries(q, now),
    loadSessionActivity(q, days, now),
    loadMcpHealth(q, mcpDays),
    loadKnowledgeUse(q, knowledgeDays),
  ]);
  return { generatedAt: now, days, mcpDays, knowledgeDays, projects, activity, mcp, knowledge };
}
