import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CliContext } from './context.js';
import { UsageError } from './errors.js';
import { didYouMean } from './suggest.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export interface Command {
  /** e.g. "session end" */
  name: string;
  summary: string;
  /** Usage line after the command name, e.g. "--summary TEXT [--task TEXT]..." */
  usage: string;
  /** Extra help lines (option descriptions). */
  details: string[];
  options: Options;
  positionals?: { min: number; max: number };
  /** Commands that need no project or configuration (install-hooks still resolves paths). */
  run(args: ParsedArgs, ctx: CliContext): Promise<number | void>;
}

/** Options every command accepts. */
export const COMMON_OPTIONS: Options = {
  help: { type: 'boolean', short: 'h' },
  project: { type: 'string' },
};

/**
 * `--confidence -1`: node:util's parseArgs refuses a value that starts with a dash as "ambiguous". For
 * a string option followed by something that reads as a negative number, join them (`--confidence=-1`)
 * so the command's own check says what is wrong with the number.
 */
function joinNegativeNumbers(argv: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.startsWith('--') ? a.slice(2) : undefined;
    const next = argv[i + 1];
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

export function parseCommandArgs(cmd: Command, argv: string[]): ParsedArgs {
  try {
    const options = { ...COMMON_OPTIONS, ...cmd.options };
    const { values, positionals } = parseArgs({ args: joinNegativeNumbers(argv, options), options, allowPositionals: true, strict: true });
    if (values.help) return { values: values as ParsedArgs["values"], positionals };
    const p = cmd.positionals ?? { min: 0, max: 0 };
    if (positionals.length < p.min) {
      const names = positionalNames(cmd.usage).slice(positionals.length, p.min);
      throw new UsageError(`missing argument${names.length > 1 ? 's' : ''}: ${names.length > 0 ? names.join(' ') : cmd.usage}`, cmd.name);
    }
    if (positionals.length > p.max) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[p.max])}`, cmd.name);
    return { values: values as ParsedArgs['values'], positionals };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    // node:util parseArgs errors name the option (ERR_PARSE_ARGS_UNKNOWN_OPTION and friends).
    const message = (err as Error).message.split('\n')[0]!.replace(/\. To specify a positional.*$/, '');
    const unknown = (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'(--?[^'=]+)/.exec(message)?.[1] : undefined;
    const known = Object.keys({ ...COMMON_OPTIONS, ...cmd.options }).map((o) => `--${o}`);
    throw new UsageError(`${message}${unknown?.startsWith('--') ? didYouMean(unknown, known) : ''}`, cmd.name);
  }
}

/** The positional arguments a usage line names, in order: its upper-case words that are not an option's value. */
export function positionalNames(usage: string): string[] {
  const names: string[] = [];
  let depth = 0;
  let afterOption = false;
  for (const token of usage.split(/\s+/)) {
    const open = (token.match(/\[/g) ?? []).length;
    const close = (token.match(/\]/g) ?? []).length;
    const bare = token.replace(/[[\].]/g, '');
    if (depth === 0 && open === 0 && !afterOption && /^[A-Z][A-Z_]*$/.test(bare)) names.push(bare);
    afterOption = depth === 0 && open === 0 && bare.startsWith('--');
    depth += open - close;
  }
  return names;
}

export function commandHelp(cmd: Command): string {
  return [
    `Usage: claude-family ${cmd.name} ${cmd.usage}`.trimEnd(),
    '',
    cmd.summary,
    '',
    ...cmd.details,
    ...(cmd.details.length > 0 ? [''] : []),
    'Common options:',
    '  --project NAME   the project (default: CLAUDE_FAMILY_PROJECT, the config file, else the git top level of the current directory)',
    '  -h, --help       show this help',
  ].join('\n');
}

export function str(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function list(args: ParsedArgs, name: string): string[] {
  const v = args.values[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

export function flag(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}

export function requireStr(args: ParsedArgs, name: string, cmd: string): string {
  const v = str(args, name);
  if (v === undefined || v.trim() === '') throw new UsageError(`--${name} is required`, cmd);
  return v;
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
