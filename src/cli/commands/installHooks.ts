import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { rewriteFileKeepingMode, writeFileAtomic } from '../../core/fs/atomicFile.js';
import { gitTopLevel } from '../../core/project.js';
import { mergeHookSettings, SettingsError } from '../claudeSettings.js';
import { str, type Command } from '../command.js';
import { mergeMcpConfig } from '../mcpConfig.js';
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
  summary: 'Add the SessionStart, PostToolUse and SessionEnd hooks to the project\'s .claude/settings.json, register the claude-family MCP server in its .mcp.json and write the /session-* slash commands. Safe to run again: it changes nothing the second time, keeps every other setting and never overwrites a command file you edited.',
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
    const mcpPath = join(dir, '.mcp.json');
    // Both files are read and merged before either is written: a broken one leaves both as they were.
    const settingsFile = readJsonObject(settingsPath);
    const mcpFile = readJsonObject(mcpPath);
    let merged;
    try {
      merged = mergeHookSettings(settingsFile.value, distDir);
    } catch (err) {
      if (err instanceof SettingsError) throw new CliError(`${settingsPath}: ${err.message}; nothing was changed`);
      throw err;
    }
    let mcp;
    try {
      mcp = mergeMcpConfig(mcpFile.value, distDir);
    } catch (err) {
      if (err instanceof SettingsError) throw new CliError(`${mcpPath}: ${err.message}; nothing was changed`);
      throw err;
    }
    mkdirSync(join(claudeDir, 'commands'), { recursive: true });
    const report: string[] = [];
    if (merged.changes.length > 0) {
      // Through a symlink to its target, keeping its mode and owner (it may hold secrets in "env").
      rewriteFileKeepingMode(settingsPath, `${settingsFile.bom}${JSON.stringify(merged.settings, null, 2)}\n`);
      report.push(`Updated ${settingsPath}:`, ...merged.changes.map((c) => `  ${c}`));
    } else {
      report.push(`${settingsPath}: hooks already installed, unchanged.`);
    }
    if (mcp.changes.length > 0) {
      const text = `${mcpFile.bom}${JSON.stringify(mcp.config, null, 2)}\n`;
      if (existsSync(mcpPath)) rewriteFileKeepingMode(mcpPath, text);
      else writeFileAtomic(mcpPath, text);
      report.push(`Updated ${mcpPath}:`, ...mcp.changes.map((c) => `  ${c}`));
    } else {
      report.push(`${mcpPath}: MCP server already registered, unchanged.`);
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

/**
 * A JSON file's parsed content ({} when it is missing or blank) and its byte order mark, kept as it was
 * (some Windows editors write one). Refuses (CliError) a file that is not valid JSON, naming JSONC
 * comments in words, and changes nothing.
 */
function readJsonObject(path: string): { value: unknown; bom: string } {
  if (!existsSync(path)) return { value: {}, bom: '' };
  let text = readFileSync(path, 'utf8');
  let bom = '';
  if (text.startsWith('\uFEFF')) {
    bom = '\uFEFF';
    text = text.slice(1);
  }
  if (text.trim() === '') return { value: {}, bom };
  try {
    return { value: JSON.parse(text), bom };
  } catch (err) {
    if (hasJsonComments(text)) {
      throw new CliError(`${path} contains comments (// or /* */), which plain JSON does not allow and install-hooks could not keep; remove them first, nothing was changed`);
    }
    throw new CliError(`${path} is not valid JSON (${(err as Error).message}); fix it first, nothing was changed`);
  }
}
