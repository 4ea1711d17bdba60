import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { rewriteFileKeepingMode, writeFileAtomic } from '../../core/fs/atomicFile.js';
import { gitTopLevel } from '../../core/project.js';
import { mergeHookSettings, SettingsError } from '../claudeSettings.js';
import { str, type Command } from '../command.js';
import { CliError, UsageError } from '../errors.js';
import { isUneditedGenerated, slashCommands } from '../slashCommands.js';

/** True when the text has a // or /* comment outside its strings (JSONC, which JSON.parse refuses). */
export function hasJsonComments(text: string): boolean {
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '/' && (text[i + 1] === '/' || text[i + 1] === '*')) return true;
  }
  return false;
}

export const installHooks: Command = {
  name: 'install-hooks',
  summary: 'Add the SessionStart, PostToolUse and SessionEnd hooks to the project\'s .claude/settings.json and write the /session-* slash commands. Safe to run again: it changes nothing the second time, keeps every other setting and never overwrites a command file you edited.',
  usage: '[--project-dir DIR]',
  details: ['  --project-dir DIR  the project to install into (default: $CLAUDE_PROJECT_DIR, else the git top level of the current directory, else the current directory)'],
  options: { 'project-dir': { type: 'string' } },
  async run(args, ctx) {
    const given = str(args, 'project-dir');
    if (given !== undefined && given.trim() === '') throw new UsageError('--project-dir must not be empty', this.name);
    const dir = resolve(ctx.io.cwd, given ?? ctx.io.env.CLAUDE_PROJECT_DIR ?? gitTopLevel(ctx.io.cwd) ?? ctx.io.cwd);
    if (!existsSync(dir)) throw new CliError(`project directory ${dir} does not exist`);
    const distDir = ctx.io.distDir;
    for (const script of ['session-start', 'post-tool-use', 'session-end']) {
      if (!existsSync(join(distDir, 'hooks', `${script}.cjs`))) throw new CliError(`${join(distDir, 'hooks', `${script}.cjs`)} is missing; run npm run build first`);
    }
    const claudeDir = join(dir, '.claude');
    const settingsPath = join(claudeDir, 'settings.json');
    let current: unknown = {};
    let bom = '';
    if (existsSync(settingsPath)) {
      let text = readFileSync(settingsPath, 'utf8');
      // A byte order mark (some Windows editors write one) is not JSON, but it is kept as it was.
      if (text.startsWith('\uFEFF')) {
        bom = '\uFEFF';
        text = text.slice(1);
      }
      if (text.trim() !== '') {
        try {
          current = JSON.parse(text);
        } catch (err) {
          if (hasJsonComments(text)) {
            throw new CliError(`${settingsPath} contains comments (// or /* */), which plain JSON does not allow and install-hooks could not keep; remove them first, nothing was changed`);
          }
          throw new CliError(`${settingsPath} is not valid JSON (${(err as Error).message}); fix it first, nothing was changed`);
        }
      }
    }
    let merged;
    try {
      merged = mergeHookSettings(current, distDir);
    } catch (err) {
      if (err instanceof SettingsError) throw new CliError(`${settingsPath}: ${err.message}; nothing was changed`);
      throw err;
    }
    mkdirSync(join(claudeDir, 'commands'), { recursive: true });
    const report: string[] = [];
    if (merged.changes.length > 0) {
      // Through a symlink to its target, keeping its mode and owner (it may hold secrets in "env").
      rewriteFileKeepingMode(settingsPath, `${bom}${JSON.stringify(merged.settings, null, 2)}\n`);
      report.push(`Updated ${settingsPath}:`, ...merged.changes.map((c) => `  ${c}`));
    } else {
      report.push(`${settingsPath}: hooks already installed, unchanged.`);
    }
    for (const cmd of slashCommands(join(distDir, 'cli.mjs'))) {
      const path = join(claudeDir, 'commands', cmd.file);
      if (!existsSync(path)) {
        writeFileAtomic(path, cmd.text);
        report.push(`Wrote ${path}`);
        continue;
      }
      const existing = readFileSync(path, 'utf8');
      if (existing === cmd.text) report.push(`${path}: unchanged.`);
      else if (isUneditedGenerated(existing)) {
        rewriteFileKeepingMode(path, cmd.text);
        report.push(`Updated ${path}`);
      } else report.push(`${path}: kept as it is (edited by you; delete it to get the generated one).`);
    }
    ctx.io.out(report.join('\n'));
  },
};
