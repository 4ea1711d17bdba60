// Registering the claude-family MCP server in a project's .mcp.json (Claude Code's project-scope MCP
// configuration: { "mcpServers": { "<name>": { "command", "args", "env" } } }) without disturbing anything
// else in it. Pure functions over parsed JSON; install-hooks does the file work.
import { SettingsError } from './claudeSettings.js';

/** The key under mcpServers, and so the server part of its tools' names in Claude Code: mcp__claude-family__search. */
export const MCP_SERVER_KEY = 'claude-family';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function mcpServerEntry(distDir: string): { type: 'stdio'; command: string; args: string[] } {
  return { type: 'stdio', command: 'node', args: [`${distDir.replace(/\/+$/, '')}/cli.mjs`, 'mcp', 'serve'] };
}

export interface McpMergeResult {
  config: Json;
  /** What changed, one line each; empty when nothing did. */
  changes: string[];
}

/**
 * Returns `input` with mcpServers["claude-family"] running this checkout's `cli.mjs mcp serve`. Every other
 * key and server is kept; so are fields of our entry other than type, command and args (an `env` you added,
 * say). Throws SettingsError when the structure is not what Claude Code expects, rather than guessing.
 */
export function mergeMcpConfig(input: unknown, distDir: string): McpMergeResult {
  if (!isObject(input)) throw new SettingsError('the file must hold a JSON object');
  const config: Json = structuredClone(input);
  if (config.mcpServers === undefined) config.mcpServers = {};
  if (!isObject(config.mcpServers)) throw new SettingsError('"mcpServers" must be an object of server name -> server');
  const servers = config.mcpServers;
  const wanted = mcpServerEntry(distDir);
  const current = servers[MCP_SERVER_KEY];
  if (current === undefined) {
    servers[MCP_SERVER_KEY] = wanted;
    return { config, changes: [`mcpServers: added ${MCP_SERVER_KEY} (${wanted.command} ${wanted.args.join(' ')})`] };
  }
  if (!isObject(current)) throw new SettingsError(`"mcpServers.${MCP_SERVER_KEY}" must be an object`);
  const changes: string[] = [];
  if (current.type !== undefined && current.type !== 'stdio') {
    current.type = 'stdio';
    changes.push(`mcpServers.${MCP_SERVER_KEY}: type stdio`);
  }
  if (current.command !== wanted.command) {
    current.command = wanted.command;
    changes.push(`mcpServers.${MCP_SERVER_KEY}: command ${wanted.command}`);
  }
  const args = current.args;
  if (!Array.isArray(args) || args.length !== wanted.args.length || args.some((a, i) => a !== wanted.args[i])) {
    current.args = wanted.args;
    changes.push(`mcpServers.${MCP_SERVER_KEY}: args ${wanted.args.join(' ')}`);
  }
  return { config, changes };
}
