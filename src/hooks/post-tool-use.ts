// Claude Code PostToolUse hook: the hot path, run after every matched tool call. This part stays tiny:
// it reads stdin and, for a tool we do not record, exits at once without evaluating zod, the data layer
// or a database adapter. TodoWrite, TaskCreate, TaskUpdate and mcp__* calls go to recordToolUse (imported lazily: in the bundle,
// evaluated on first use).
import { OversizedStdin, readStdin, runHook } from './run.js';

const RECORDED_TOOLS = new Set(['TodoWrite', 'TaskCreate', 'TaskUpdate']);

/** Cheap pre-check on the raw payload; anything unparsable goes on to the full validation and its error. */
function mayRecord(raw: string): boolean {
  try {
    const toolName = (JSON.parse(raw) as { tool_name?: unknown } | null)?.tool_name;
    return typeof toolName !== 'string' || RECORDED_TOOLS.has(toolName) || toolName.startsWith('mcp__');
  } catch {
    return true;
  }
}

const NAME = 'post-tool-use';

void runHook(
  NAME,
  async () => {
    let raw: string;
    try {
      raw = await readStdin();
    } catch (err) {
      if (err instanceof OversizedStdin) (await import('./common.js')).keepOversized(NAME, err);
      throw err;
    }
    if (!mayRecord(raw)) return;
    const { recordToolUse } = await import('./recordToolUse.js');
    await recordToolUse(raw);
  },
  // HOOK_DEADLINE_MS['post-tool-use'] (common.ts), inlined to keep this file from loading it for every tool.
  7000,
);
