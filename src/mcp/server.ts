// `claude-family mcp serve`: the MCP server over stdio (built into one CommonJS bundle,
// dist/mcp/server.body.cjs, run through V8's code cache by dist/mcp/server.cjs; see esbuild.config.mjs).
// Claude Code starts it from the project's .mcp.json and talks JSON-RPC on stdin/stdout, so stdout carries
// protocol messages only: every diagnostic goes to stderr.
//
// Startup matters (Claude Code waits for initialize before the session is ready): nothing touches the
// database, git or the configuration until the first tool call.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { describeTarget, loadConfig, type Config } from '../core/config.js';
import { DbUnavailableError, redact, type Db } from '../core/db/db.js';
import { openForWork } from '../core/db/openForWork.js';
import { resolveProjectName } from '../core/project.js';
import { VERSION } from '../core/version.js';
import { TOOLS, type ToolHost } from './tools.js';

export const SERVER_NAME = 'claude-family';

export interface ServeOptions {
  /** --project: the project the tools default to (else the configuration, else the git top level of cwd). */
  project?: string;
  cwd?: string;
}

/**
 * One database at a time, opened on the first call (migrated if behind, spool replayed) and kept for the
 * next. Calls run one after another: a Claude Code session makes few, and the embedded database may be
 * held by one process only, so there it is closed again after every call, for the hooks to have it.
 */
class DbAccess {
  private db?: Db;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly config: () => Config) {}

  run<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    const next = this.queue.then(() => this.once(fn));
    this.queue = next.catch(() => {});
    return next;
  }

  private async once<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    try {
      this.db ??= (await openForWork(this.config(), { migrate: 'if-behind', connectTimeoutMs: 5000, startTimeoutMs: 30_000, max: 2, statementTimeoutMs: 30_000 })).db;
    } catch (err) {
      if (err instanceof DbUnavailableError) throw new Error(`database unavailable (${describeTarget(this.config())}): ${err.message}`);
      throw err;
    }
    const db = this.db;
    try {
      return await fn(db);
    } catch (err) {
      // A lost server: open afresh next time.
      if (err instanceof DbUnavailableError) await this.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    await db?.close().catch(() => {});
  }
}

/** A tool's failure as the text Claude reads: one line, no password. */
function failureText(err: unknown): string {
  return redact(err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
}

export async function serve(options: ServeOptions = {}): Promise<void> {
  let config: Config | undefined;
  const getConfig = () => (config ??= loadConfig());
  let project: string | undefined;
  const db = new DbAccess(getConfig);
  const host: ToolHost = {
    get project() {
      return (project ??= resolveProjectName(options.project ?? getConfig().project, options.cwd ?? process.cwd()));
    },
    withDb: (fn) => db.run(fn),
  };

  const server = new McpServer(
    { name: SERVER_NAME, version: VERSION },
    {
      instructions:
        'Memory of past Claude Code sessions of this and other projects: search (then get by id) before re-deriving ' +
        'something a past session may have learned; add_knowledge when you find a reusable pattern.',
      // The SDK validates with ajv only for elicitation, which this server never asks for; the build
      // leaves ajv out (esbuild.config.mjs), so say plainly if that ever changes.
      jsonSchemaValidator: {
        getValidator: () => () => ({ valid: false, data: undefined, errorMessage: 'JSON Schema validation is not available in this server' }),
      },
    },
  );
  // Calls still running when stdin closes are answered before the process exits.
  const inflight = new Set<Promise<unknown>>();
  for (const tool of TOOLS) {
    server.registerTool(
      tool.name,
      { title: tool.title, description: tool.description, inputSchema: tool.inputSchema, annotations: { readOnlyHint: tool.readOnly, openWorldHint: false } },
      (args: Record<string, unknown>) => {
        const call = tool.run(host, args).then(
          (text) => ({ content: [{ type: 'text' as const, text }] }),
          (err: unknown) => ({ content: [{ type: 'text' as const, text: `${tool.name} failed: ${failureText(err)}` }], isError: true }),
        );
        inflight.add(call);
        void call.finally(() => inflight.delete(call));
        return call;
      },
    );
  }

  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  await server.connect(transport);
  await closed;
  // Requests read just before the end are still being handled: let them answer first.
  await new Promise((resolve) => setImmediate(resolve));
  while (inflight.size > 0) await Promise.allSettled([...inflight]);
  await new Promise((resolve) => setImmediate(resolve));
  await server.close().catch(() => {});
  await db.close();
}

/** The arguments after `mcp serve` (or after the bundle's own path when run directly). */
export function parseServeArgs(argv: readonly string[]): ServeOptions {
  const args = argv[0] === 'mcp' && argv[1] === 'serve' ? argv.slice(2) : [...argv];
  const options: ServeOptions = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.startsWith('--project=') ? arg.slice('--project='.length) : undefined;
    if (arg === '--project' || eq !== undefined) {
      const value = eq ?? args[++i];
      if (value === undefined || value.trim() === '') throw new Error('--project needs a project name');
      options.project = value;
    } else {
      throw new Error(`unknown argument ${JSON.stringify(arg)} (claude-family mcp serve --help)`);
    }
  }
  return options;
}
