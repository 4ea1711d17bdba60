import { appendFileSync } from 'node:fs';

/** Quotes a value for a POSIX shell: single quotes, with each ' written as '\'' . */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `export NAME='value'` lines, the format Claude Code's CLAUDE_ENV_FILE expects. */
export function exportLines(vars: Record<string, string | undefined>): string {
  let out = '';
  for (const [name, value] of Object.entries(vars)) {
    if (value === undefined) continue;
    if (!NAME.test(name)) throw new Error(`not a shell variable name: ${JSON.stringify(name)}`);
    out += `export ${name}=${shellQuote(value.replace(/\0/g, ''))}\n`;
  }
  return out;
}

/** Appends the variables to the env file Claude Code sources before each Bash command. */
export function appendEnvFile(path: string, vars: Record<string, string | undefined>): void {
  appendFileSync(path, exportLines(vars), { mode: 0o600 });
}
