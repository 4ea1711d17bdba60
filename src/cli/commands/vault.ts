import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { nodeVaultFiles } from '../../core/vault/files.js';
import { reportText } from '../../core/vault/report.js';
import { defaultScope, normalizeFolder } from '../../core/vault/scope.js';
import { syncVault } from '../../core/vault/sync.js';
import { acceptKnowledge } from '../../core/vault/store.js';
import { flag, json, list, str, type Command } from '../command.js';
import { withDb } from '../context.js';
import { CliError, UsageError } from '../errors.js';

export const vaultSync: Command = {
  name: 'vault sync',
  summary: "Sync an Obsidian vault's notes with claude.knowledge both ways (for when Obsidian is not running).",
  usage: '[--vault DIR] [--folder F]... [--all] [--knowledge-folder F] [--mark-all] [--dry-run] [--force] [--json]',
  details: [
    '  --vault DIR             the vault (default: CLAUDE_FAMILY_VAULT_DIR, else "vaultDir" in the config file)',
    '  --folder F              also sync every note under this folder (repeat for several)',
    '  --all                   sync every note of the vault (except `claude: false`, hidden and plugin folders)',
    '  --knowledge-folder F    where entries made elsewhere become notes, and whose notes always sync (default Claude/Knowledge)',
    '  --mark-all              add `synced: true` / `synced_at` to synced notes that have no `synced:` key',
    '  --dry-run               say what would change; write nothing',
    '  --force                 re-read and re-store every note (ignore the size+mtime shortcut)',
    '  --json                  print the report as JSON',
    'By default a note syncs when its frontmatter has a `projects:` key, or it lies under the knowledge folder.',
  ],
  options: {
    vault: { type: 'string' },
    folder: { type: 'string', multiple: true },
    all: { type: 'boolean' },
    'knowledge-folder': { type: 'string' },
    'mark-all': { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    force: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run(args, ctx) {
    const given = str(args, 'vault');
    const dir = given ?? ctx.config.vaultDir;
    if (dir === undefined || dir.trim() === '') throw new UsageError('no vault: pass --vault DIR, or set CLAUDE_FAMILY_VAULT_DIR or "vaultDir" in the config file', this.name);
    const root = resolve(ctx.io.cwd, dir);
    if (!existsSync(root) || !statSync(root).isDirectory()) throw new CliError(`the vault ${root} is not a folder`);
    const folders = list(args, 'folder').map(normalizeFolder);
    for (const f of [...folders, str(args, 'knowledge-folder') ?? 'Claude/Knowledge']) {
      if (f === '' || f.split('/').includes('..')) throw new UsageError(`a folder must be inside the vault, got ${JSON.stringify(f)}`, this.name);
    }
    const knowledgeFolder = normalizeFolder(str(args, 'knowledge-folder') ?? 'Claude/Knowledge');
    const asJson = flag(args, 'json');
    const report = await withDb(ctx, (db) =>
      syncVault({
        db,
        files: nodeVaultFiles(root),
        scope: defaultScope({ knowledgeFolder, folders, wholeVault: flag(args, 'all') }),
        force: flag(args, 'force'),
        markAll: flag(args, 'mark-all'),
        dryRun: flag(args, 'dry-run'),
        yieldNow: () => new Promise((r) => setImmediate(r)),
        onProgress: asJson ? undefined : (p) => {
          if (p.total >= 500) ctx.io.err(`claude-family: ${p.phase} ${p.done}/${p.total}`);
        },
      }),
    );
    if (asJson) ctx.io.out(json({ vault: root, ...report }));
    else ctx.io.out(reportText(report));
    return report.errors.length > 0 ? 1 : 0;
  },
};

export const knowledgeAccept: Command = {
  name: 'knowledge accept',
  summary: 'Accept a knowledge entry held for review (one Claude wrote), so it can be delivered at the prompt.',
  usage: 'NAME',
  details: ['  NAME             the entry\'s exact name (title), or its id', 'Its note in the vault loses `review: pending` at the next `vault sync` (or at once in Obsidian).'],
  options: {},
  positionals: { min: 1, max: 1 },
  async run(args, ctx) {
    const key = args.positionals[0]!.trim();
    if (key === '') throw new UsageError('the name must not be empty', this.name);
    const r = await withDb(ctx, (db) => acceptKnowledge(db, key));
    if (!r) throw new CliError(`no knowledge entry ${JSON.stringify(key.slice(0, 100))}`);
    ctx.io.out(r.was === 'accepted' ? `"${r.pattern_name}" was already accepted.` : `Accepted "${r.pattern_name}" ${r.knowledge_id}.`);
  },
};
