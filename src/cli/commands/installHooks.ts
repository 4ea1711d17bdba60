import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../../core/fs/atomicFile.js';
import { gitTopLevel } from '../../core/project.js';
import { HOOKS, mergeHookSettings, SettingsError } from '../claudeSettings.js';
import { str, type Command } from '../command.js';
import { CliError, UsageError } from '../errors.js';
import { isUneditedGenerated, slashCommands } from '../slashCommands.js';

export const installHooks: Command = {
  name: 'install-hooks',
  summary: 'Add the SessionStart, PostToolUse, PostToolUseFailure and SessionEnd hooks to the project\'s .claude/settings.json and write the /session-* slash commands. Safe to run again: it changes nothing the second time, keeps every other setting and never overwrites a command file you edited.',
  usage: '[--project-dir DIR]',
  details: ['  --project-dir DIR  the project to install into (default: $CLAUDE_PROJECT_DIR, else the git top level of the current directory, else the current directory)'],
  options: { 'project-dir': { type: 'string' } },
  async run(args, ctx) {
    const given = str(args, 'project-dir');
    if (given !== undefined && given.trim() === '') throw new UsageError('--project-dir must not be empty', this.name);
    const dir = resolve(ctx.io.cwd, given ?? ctx.io.env.CLAUDE_PROJECT_DIR ?? gitTopLevel(ctx.io.cwd) ?? ctx.io.cwd);
    if (!existsSync(dir)) throw new CliError(`project directory ${dir} does not exist`);
    const distDir = ctx.io.distDir;
    for (const { script } of HOOKS) {
      if (!existsSync(join(distDir, 'hooks', `${script}.cjs`))) throw new CliError(`${join(distDir, 'hooks', `${script}.cjs`)} is missing; run npm run build first`);
    }
    const claudeDir = join(dir, '.claude');
    const settingsPath = join(claudeDir, 'settings.json');
    let current: unknown = {};
    if (existsSync(settingsPath)) {
      const text = readFileSync(settingsPath, 'utf8');
      if (text.trim() !== '') {
        try {
          current = JSON.parse(text);
        } catch (err) {
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
      writeFileAtomic(settingsPath, `${JSON.stringify(merged.settings, null, 2)}\n`);
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
        writeFileAtomic(path, cmd.text);
        report.push(`Updated ${path}`);
      } else report.push(`${path}: kept as it is (edited by you; delete it to get the generated one).`);
    }
    ctx.io.out(report.join('\n'));
  },
};
