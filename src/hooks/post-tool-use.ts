// Claude Code PostToolUse hook: the hot path, run after every matched tool call. This entry stays tiny:
// it reads stdin and, for a tool we do not record, exits at once without loading zod, the data layer or a
// database adapter. TodoWrite and mcp__* calls go to recordToolUse (loaded lazily).
import { readStdin, runHook } from './run.js';

/** Cheap pre-check on the raw payload; anything unparsable goes on to the full validation and its error. */
function mayRecord(raw: string): boolean {
  try {
    const toolName = (JSON.parse(raw) as { tool_name?: unknown } | null)?.tool_name;
    return typeof toolName !== 'string' || toolName === 'TodoWrite' || toolName.startsWith('mcp__');
  } catch {
    return true;
  }
}

await runHook('post-tool-use', async () => {
  const raw = await readStdin();
  if (!mayRecord(raw)) return;
  const { recordToolUse } = await import('./recordToolUse.js');
  await recordToolUse(raw);
});
