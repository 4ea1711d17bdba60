// Claude Code PostToolUseFailure hook: Claude Code fires PostToolUse only after a tool succeeded; a failed
// call fires this instead, with `error` (and `is_interrupt`) and no `tool_response`. A failed
// `mcp__<server>__<tool>` call becomes one claude.mcp_usage row with success = false and the error text
// (at most 500 characters, connection-string passwords redacted). Other tools: nothing. Like PostToolUse,
// embedded mode only appends to the spool.
import { readStdin, runHook } from './run.js';

void runHook('post-tool-use-failure', async () => {
  const raw = await readStdin();
  const { recordToolFailure } = await import('./recordToolFailure.js');
  await recordToolFailure(raw);
});
