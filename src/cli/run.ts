import { describeTarget } from '../core/config.js';
import { DbUnavailableError, redact } from '../core/db/db.js';
import { ValidationError } from '../core/models.js';
import { commandHelp, parseCommandArgs, str, type Command } from './command.js';
import { makeContext, type Io } from './context.js';
import { CliError, UsageError } from './errors.js';
import { didYouMean } from './suggest.js';
import { VERSION } from '../core/version.js';
import { doctor, migrateCommand, spoolReplay } from './commands/admin.js';
import { dbCopy, dbImportLegacy, dbStart, dbStatus, dbStop } from './commands/db.js';
import { installHooks } from './commands/installHooks.js';
import { knowledgeAdd, knowledgeList, knowledgeShow } from './commands/knowledge.js';
import { knowledgeRetrievals } from './commands/retrievals.js';
import { mcpCleanup, mcpServe, mcpUsage } from './commands/mcp.js';
import { messageList, messageRead, messageSend } from './commands/messages.js';
import { sessionCommit, sessionEnd, sessionResume, sessionSave, sessionStatus } from './commands/session.js';
import { search } from './commands/search.js';
import { projects } from './commands/projects.js';
import { spoolRejected, spoolRetryRejected } from './commands/spool.js';
import { overview } from './commands/overview.js';
import { todosArchive, todosList } from './commands/todos.js';
import { knowledgeAccept, vaultSync } from './commands/vault.js';

export const COMMANDS: readonly Command[] = [
  sessionEnd, sessionCommit, sessionSave, sessionStatus, sessionResume,
  todosList, todosArchive,
  search, projects,
  overview,
  knowledgeAdd, knowledgeList, knowledgeShow, knowledgeAccept,
  knowledgeRetrievals,
  vaultSync,
  messageSend, messageList, messageRead,
  mcpServe, mcpCleanup, mcpUsage,
  dbStart, dbStop, dbStatus, dbImportLegacy, dbCopy,
  migrateCommand, spoolReplay, spoolRejected, spoolRetryRejected, doctor, installHooks,
];

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: claude-family <command> [options]   (claude-family --version: the version)',
    '',
    'Claude Code session memory in Postgres (your server, or a local one started on demand): the commands behind the',
    '/session-* slash commands, plus maintenance. Run any command with --help for its options.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary.split('. ')[0]!.replace(/\.$/, '')}`),
    '',
    'Configuration: CLAUDE_FAMILY_DATABASE_URL, else ~/.config/claude-family/config.json ("databaseUrl"),',
    'else the local Postgres server in CLAUDE_FAMILY_DATA_DIR (default ~/.local/share/claude-family; see `db status`).',
    'Exit codes: 0 ok, 1 the operation failed, 2 usage error.',
  ].join('\n');
}

function groupHelp(group: string): string {
  const cmds = COMMANDS.filter((c) => c.name.startsWith(`${group} `));
  return [`Usage: claude-family ${group} <${cmds.map((c) => c.name.split(' ')[1]).join('|')}> [options]`, '', ...cmds.map((c) => `  ${c.name.padEnd(16)}  ${c.summary.split('. ')[0]!.replace(/\.$/, '')}`)].join('\n');
}

function findCommand(argv: string[]): { cmd?: Command; rest: string[]; group?: string } {
  const [first, second] = argv;
  const two = COMMANDS.find((c) => c.name === `${first} ${second}`);
  if (two) return { cmd: two, rest: argv.slice(2) };
  const one = COMMANDS.find((c) => c.name === first);
  if (one) return { cmd: one, rest: argv.slice(1) };
  const isGroup = COMMANDS.some((c) => c.name.startsWith(`${first} `));
  return { rest: argv.slice(1), group: isGroup ? first : undefined };
}

function nearestCommand(words: string): string | undefined {
  const m = / \(did you mean (.+)\?\)$/.exec(didYouMean(words, COMMANDS.filter((c) => c.name.includes(' ')).map((c) => c.name)));
  return m?.[1];
}

/** Runs one command line; returns the exit code. Never throws. */
export async function runCli(argv: string[], io: Io): Promise<number> {
  let name = 'claude-family';
  try {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      io.out(mainHelp());
      if (argv.length > 0) return 0;
      throw new UsageError('no command given');
    }
    if (argv[0] === '--version' || argv[0] === '-V' || argv[0] === 'version') {
      io.out(`claude-family ${VERSION}`);
      return 0;
    }
    const { cmd, rest, group } = findCommand(argv);
    if (!cmd) {
      if (group) {
        if (rest[0] === undefined || rest[0] === '--help' || rest[0] === '-h') {
          io.out(groupHelp(group));
          if (rest[0] !== undefined) return 0;
          throw new UsageError(`no ${group} command given`);
        }
        const subs = COMMANDS.filter((c) => c.name.startsWith(`${group} `)).map((c) => c.name);
        throw new UsageError(`unknown ${group} command ${JSON.stringify(rest[0])}${didYouMean(`${group} ${rest[0]}`, subs)}; try claude-family ${group} --help`);
      }
      // A misspelt group ("sesion end") or command ("projcts").
      const firsts = [...new Set(COMMANDS.map((c) => c.name.split(' ')[0]!))];
      const two = argv[1] !== undefined && !argv[1].startsWith('-') ? nearestCommand(`${argv[0]} ${argv[1]}`) : undefined;
      const hint = two ? ` (did you mean ${two}?)` : didYouMean(argv[0]!, firsts);
      throw new UsageError(`unknown command ${JSON.stringify(argv[0])}${hint}; try claude-family --help`);
    }
    name = `claude-family ${cmd.name}`;
    const args = parseCommandArgs(cmd, rest);
    if (args.values.help) {
      io.out(commandHelp(cmd));
      return 0;
    }
    const projectFlag = str(args, 'project');
    // An empty --project would silently fall back to the directory's name and write to the wrong project.
    if (projectFlag !== undefined && projectFlag.trim() === '') throw new UsageError('--project must not be empty', cmd.name);
    const ctx = makeContext(io, projectFlag);
    const code = await cmd.run(args, ctx);
    return typeof code === 'number' ? code : 0;
  } catch (err) {
    const line = (text: string) => io.err(`${name}: ${redact(text).replace(/\s+/g, ' ').trim()}`);
    if (err instanceof UsageError) {
      line(`${err.message}${err.command ? ` (see claude-family ${err.command} --help)` : ''}`);
      return 2;
    }
    if (err instanceof ValidationError) {
      line(err.message);
      return 2;
    }
    if (err instanceof DbUnavailableError) {
      let target = '';
      try {
        target = ` (${describeTarget(makeContext(io, undefined).config)})`;
      } catch {
        // the config was readable a moment ago; leave the target out
      }
      line(`database unavailable${target}: ${err.message}`);
      return 1;
    }
    if (err instanceof CliError) {
      line(err.message);
      return 1;
    }
    line(`failed: ${(err as Error)?.message ?? String(err)}`);
    return 1;
  }
}
