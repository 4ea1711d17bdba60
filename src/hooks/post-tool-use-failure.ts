// Claude Code PostToolUseFailure hook: Claude Code fires PostToolUse only after a tool succeeded; a failed
// call fires this instead, with `error` (and `is_interrupt`) and no `tool_response`. A failed
// `mcp__<server>__<tool>` call becomes one claude.mcp_usage row with success = false and the error text
// (at most 500 characters, connection-string passwords redacted). Other tools: nothing. Like PostToolUse,
// its event goes through the spool first and is applied in order.
import { OversizedStdin, readStdin, runHook } from './run.js';

const NAME = 'post-tool-use-failure';

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
    const { recordToolFailure } = await import('./recordToolFailure.js');
    await recordToolFailure(raw);
  },
  // As PostToolUse: HOOK_DEADLINE_MS['post-tool-use'] (common.ts), inside Claude Code's 10 s.
  7000,
);
