#!/usr/bin/env node
// The claude-family CLI entry point (dist/cli.mjs): the commands behind the /session-* slash commands.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redact } from '../core/db/db.js';

const distDir = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);

if (argv[0] === 'mcp' && argv[1] === 'serve' && !argv.includes('--help') && !argv.includes('-h')) {
  // The MCP server starts with every Claude Code session: straight to its own bundle, without loading the
  // rest of the CLI (it reads its arguments from process.argv itself).
  createRequire(import.meta.url)(join(distDir, 'mcp', 'server.cjs'));
} else {
  // Never a stack trace: whatever escapes the command (an 'error' event nobody listened to) is one line, exit 1.
  const last = (err: unknown) => {
    process.stderr.write(`claude-family: unexpected failure: ${redact(err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim()}\n`);
    process.exit(1);
  };
  process.on('uncaughtException', last);
  process.on('unhandledRejection', last);
  const { runCli } = await import('./run.js');
  process.exitCode = await runCli(argv, {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    env: process.env,
    cwd: process.cwd(),
    distDir,
  });
}
