// The /session-* slash commands install-hooks writes to .claude/commands/. Each file ends with a marker
// carrying a hash of its text, so a later install rewrites only files nobody edited.
import { createHash } from 'node:crypto';
import { shellArg } from './claudeSettings.js';

export interface SlashCommand {
  file: string;
  text: string;
}

const MARKER = /\n<!-- claude-family:generated sha256=([0-9a-f]{64}) -->\n?$/;

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function withMarker(body: string): string {
  return `${body}\n<!-- claude-family:generated sha256=${sha(body)} -->\n`;
}

/** True when `text` is a file we generated and nobody edited since. */
export function isUneditedGenerated(text: string): boolean {
  const m = MARKER.exec(text);
  return m !== null && sha(text.slice(0, m.index)) === m[1];
}

/** The CLI as the Claude Code plugin's commands run it (see scripts/plugin-run.cjs). */
export const PLUGIN_CLI = 'node "${CLAUDE_PLUGIN_ROOT}/scripts/plugin-run.cjs" cli';

/**
 * The five commands, running the CLI at `cliPath` (install-hooks), or, with `{ command }`, through that
 * command line (the plugin's commands/, with PLUGIN_CLI).
 */
export function slashCommands(cliPath: string, options: { command?: string } = {}): SlashCommand[] {
  const cli = options.command ?? `node ${shellArg(cliPath)}`;
  const allowed = `Bash(${cli}:*)`;
  const make = (name: string, description: string, hint: string | undefined, extraTools: string[], lines: string[]): SlashCommand => ({
    file: `session-${name}.md`,
    text: withMarker(
      [
        '---',
        `description: ${description}`,
        ...(hint ? [`argument-hint: ${hint}`] : []),
        `allowed-tools: ${[allowed, ...extraTools].join(', ')}`,
        '---',
        '',
        ...lines,
        '',
        'Extra notes from the user, if any: $ARGUMENTS',
      ].join('\n'),
    ),
  });
  return [
    make('end', 'Close this session with a summary and save focus and next steps for the next one', '[notes]', [], [
      'End this Claude Code session in the Claude Family database.',
      '',
      '1. Review the conversation and gather: a one-paragraph summary of what was done; the tasks completed;',
      '   any reusable learnings; the current focus; the next steps, most important first.',
      '2. Run (repeat --task, --learning and --next once per item; quote every value):',
      '',
      `   ${cli} session end --summary "..." --task "..." --learning "..." --focus "..." --next "..."`,
      '',
      '3. If you discovered a reusable pattern, also store it:',
      '',
      `   ${cli} knowledge add --name "..." --category "..." --description "..." [--example "..."] [--gotcha "..."] [--confidence 1-10]`,
      '',
      '4. Report what was saved in two or three lines.',
    ]),
    make('commit', 'Close this session with a summary and git commit the tracked changes with it', '[notes]', ['Bash(git status:*)', 'Bash(git diff:*)'], [
      'End this session and commit the work.',
      '',
      '1. Look at `git status` and `git diff --stat`; stage anything new that belongs in the commit with `git add` (ask first if unsure).',
      '2. Gather a summary (its first line becomes the commit subject: keep it under 72 characters), tasks completed, learnings, focus and next steps.',
      '3. Run:',
      '',
      `   ${cli} session commit --summary "..." --task "..." --learning "..." --focus "..." --next "..."`,
      '',
      '4. The session is closed even if the commit fails (nothing to commit, not a repository): report the error as it is.',
    ]),
    make('save', 'Checkpoint the current focus and next steps without ending the session', '[notes]', [], [
      'Save a mid-session checkpoint for this project (the session stays open).',
      '',
      '1. Gather the current focus, the next steps in order and any pending actions that need follow-up.',
      '2. Run (repeat --next and --pending once per item):',
      '',
      `   ${cli} session save --focus "..." --next "..." --pending "..."`,
      '',
      '3. Confirm in one line.',
    ]),
    make('status', 'Quick read-only look at the current session, todos and messages', undefined, [], [
      'Show the Claude Family status of this project. Run:',
      '',
      `   ${cli} session status`,
      '',
      'Summarise the output in a few lines; change nothing.',
    ]),
    make('resume', 'Restore context: last session, next steps, todos, messages, uncommitted files', undefined, [], [
      'Restore the context of this project. Run:',
      '',
      `   ${cli} session resume`,
      '',
      'Then summarise: what the last session did, the top next steps, the todos in progress, any pending',
      `messages (read one with \`${cli} message read ID\`) and how many files are uncommitted. Propose what to do first.`,
    ]),
  ];
}
