// Claude Code UserPromptSubmit hook: before Claude sees the prompt, the knowledge relevant to it (the
// project's entries and those for every project, accepted ones only, over a relevance threshold, at most
// 3, each once per session unless it changed) goes into Claude's context as a block of reference material
// (JSON hookSpecificOutput.additionalContext), and each delivery is logged. Nothing relevant: no output.
// Thin: one connection, one statement (src/core/knowledge/delivery.ts). It records no event, so it does
// not touch the spool. Off with "promptKnowledge": false or CLAUDE_FAMILY_PROMPT_KNOWLEDGE=0. Like every
// hook it never holds up or breaks the prompt: a budget, exit 0, one stderr line on failure.
import * as z from 'zod/mini';
import { loadConfig } from '../core/config.js';
import { openDatabase } from '../core/db/open.js';
import type { Db } from '../core/db/db.js';
import { deliverAtPrompt } from '../core/knowledge/delivery.js';
import { contentWordCount, MIN_MATCHED_WORDS } from '../core/knowledge/rank.js';
import { normalizeQuery } from '../core/search/query.js';
import { issuesText } from '../core/issueText.js';
import { resolveProjectName } from '../core/project.js';
import { renderKnowledgeBlock } from '../core/render/knowledgeDelivery.js';
import { errorText, note, readStdin, runHook, warn } from './run.js';

const NAME = 'user-prompt-submit';
/** The whole hook's budget: past it, the prompt goes on without knowledge (Claude Code's timeout is 10 s). */
export const PROMPT_DEADLINE_MS = 2500;
const CONNECT_TIMEOUT_MS = 800;
const STATEMENT_TIMEOUT_MS = 800;

const UserPromptSubmitPayload = z.looseObject({
  session_id: z.string().check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(200), z.refine((s) => !s.includes('\0'), 'must not contain NUL')),
  cwd: z.optional(z.string().check(z.minLength(1), z.refine((s) => !s.includes('\0'), 'must not contain NUL'))),
  prompt: z.string(),
});

void runHook(NAME, async () => {
  const deadline = setTimeout(() => {
    warn(NAME, `gave up after ${PROMPT_DEADLINE_MS / 1000} s (the database did not answer in time); no knowledge for this prompt`);
    process.exit(0);
  }, PROMPT_DEADLINE_MS);
  deadline.unref();
  // A prompt records nothing, so a bad input is not kept for `spool retry-rejected` as the other hooks'
  // are: knowledge delivered for it later would be logged as given when Claude never saw it.
  const raw = await readStdin();
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error('stdin is not valid JSON (expected the UserPromptSubmit payload)');
  }
  const parsed = UserPromptSubmitPayload.safeParse(json);
  if (!parsed.success) throw new Error(`invalid UserPromptSubmit payload: ${issuesText(parsed.error.issues)}`);
  const payload = parsed.data;
  const config = loadConfig();
  if (!config.promptKnowledge) return;
  // "thanks!", "ok", "run it again": too few words to match any entry; no connection for those.
  if (contentWordCount(normalizeQuery(payload.prompt)) < MIN_MATCHED_WORDS) return;
  const project = resolveProjectName(config.project, payload.cwd ?? process.cwd());

  let db: Db | undefined;
  try {
    db = await openDatabase(config, {
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      statementTimeoutMs: STATEMENT_TIMEOUT_MS,
      queryTimeoutMs: STATEMENT_TIMEOUT_MS + 400,
      startTimeoutMs: 1500,
      onNotice: note,
      importLegacy: false,
      upgrade: false,
      max: 1,
    });
    const entries = await deliverAtPrompt(db, { text: payload.prompt, project, claudeSessionId: payload.session_id });
    if (entries.length > 0) {
      const additionalContext = renderKnowledgeBlock(entries, { project });
      process.stdout.write(`${JSON.stringify({ hookSpecificOutput: { hookEventName: 'UserPromptSubmit', additionalContext } })}\n`);
    }
  } catch (err) {
    throw new Error(`no knowledge for this prompt: ${errorText(err)}`);
  } finally {
    clearTimeout(deadline);
    await db?.close().catch(() => {});
  }
});
