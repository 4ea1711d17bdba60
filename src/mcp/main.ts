// The MCP server bundle's entry (dist/mcp/server.body.cjs): serve over stdio until stdin closes.
import { parseServeArgs, serve } from './server.js';

serve(parseServeArgs(process.argv.slice(2))).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`claude-family mcp serve: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
