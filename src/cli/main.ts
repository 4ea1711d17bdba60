#!/usr/bin/env node
// The claude-family CLI entry point (dist/cli.mjs): the commands behind the /session-* slash commands.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from './run.js';

const code = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  env: process.env,
  cwd: process.cwd(),
  distDir: dirname(fileURLToPath(import.meta.url)),
});
process.exitCode = code;
