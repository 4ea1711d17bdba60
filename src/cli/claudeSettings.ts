// Merging our hooks into a Claude Code settings.json without disturbing anything else in it.
// Pure functions over parsed JSON; the install-hooks command does the file work.

export type HookEventName = 'SessionStart' | 'UserPromptSubmit' | 'PostToolUse' | 'PostToolUseFailure' | 'SessionEnd';

export interface HookSpec {
  event: HookEventName;
  /** The hook script's base name: dist/hooks/<script>.cjs */
  script: 'session-start' | 'user-prompt-submit' | 'post-tool-use' | 'post-tool-use-failure' | 'session-end';
  matcher?: string;
  /** Claude Code's per-hook timeout, in seconds. */
  timeout: number;
  /** Claude Code runs it without waiting for it (only where the order of events cannot matter). */
  async?: boolean;
}

/** TodoWrite and the Task tools that replaced it: task-list snapshots, applied in order, so Claude waits for them. */
export const POST_TOOL_USE_MATCHER = 'TodoWrite|TaskCreate|TaskUpdate';
/**
 * Every MCP tool: one independent claude.mcp_usage row per call, so its order cannot matter and Claude
 * Code runs the hook without waiting for it ("async": true).
 */
export const POST_TOOL_USE_MCP_MATCHER = 'mcp__.*';
/** Failed MCP calls (Claude Code fires PostToolUseFailure, not PostToolUse, when a tool fails); async likewise. */
export const POST_TOOL_USE_FAILURE_MATCHER = 'mcp__.*';

export const HOOKS: readonly HookSpec[] = [
  { event: 'SessionStart', script: 'session-start', timeout: 30 },
  { event: 'UserPromptSubmit', script: 'user-prompt-submit', timeout: 10 },
  { event: 'PostToolUse', script: 'post-tool-use', matcher: POST_TOOL_USE_MATCHER, timeout: 10 },
  { event: 'PostToolUse', script: 'post-tool-use', matcher: POST_TOOL_USE_MCP_MATCHER, timeout: 10, async: true },
  { event: 'PostToolUseFailure', script: 'post-tool-use-failure', matcher: POST_TOOL_USE_FAILURE_MATCHER, timeout: 10, async: true },
  { event: 'SessionEnd', script: 'session-end', timeout: 30 },
];

export class SettingsError extends Error {}

/** Quotes a path for the shell Claude Code runs hook commands in, only when it needs it. */
export function shellArg(text: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

export function hookCommand(distDir: string, script: HookSpec['script']): string {
  return `node ${shellArg(`${distDir.replace(/\/+$/, '')}/hooks/${script}.cjs`)}`;
}

/**
 * True when a command runs our hook script (wherever this repository lived when it was installed), also
 * as earlier builds wrote it (dist/hooks/<script>.mjs), so installing again updates it in place.
 */
export function isOurCommand(command: unknown, script: HookSpec['script']): boolean {
  return typeof command === 'string' && new RegExp(`dist/hooks/${script}\\.[cm]js'?\\s*$`).test(command);
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface MergeResult {
  settings: Json;
  /** What changed, one line each; empty when nothing did. */
  changes: string[];
}

/**
 * Returns `settings` with our four hooks present exactly once, pointing at `distDir`. Every other key,
 * event, matcher group and hook is kept as it was. An existing entry of ours is updated in place (new
 * path, timeout, matcher: an older install's `TodoWrite|mcp__.*` becomes today's); when it shares its
 * matcher group with hooks of yours, it moves to a group of its own with our matcher, and yours keep
 * theirs. Otherwise a new matcher group is appended. Throws SettingsError
 * when the structure is not what Claude Code expects, rather than guessing.
 */
export function mergeHookSettings(input: unknown, distDir: string): MergeResult {
  if (!isObject(input)) throw new SettingsError('the settings file must hold a JSON object');
  const settings: Json = structuredClone(input);
  if (settings.hooks === undefined) settings.hooks = {};
  if (!isObject(settings.hooks)) throw new SettingsError('"hooks" must be an object of event name -> matcher groups');
  const hooks = settings.hooks;
  const changes: string[] = [];

  /** Hooks of ours already taken by a spec: a second spec for the same script takes another one (or adds one). */
  const claimed = new Set<Json>();
  for (const spec of HOOKS) {
    const command = hookCommand(distDir, spec.script);
    if (hooks[spec.event] === undefined) hooks[spec.event] = [];
    const groups = hooks[spec.event];
    if (!Array.isArray(groups)) throw new SettingsError(`"hooks.${spec.event}" must be an array of matcher groups`);
    // Ours for this spec: the one under this spec's matcher, else the first one no spec of the same script
    // owns by its matcher (an older install's single group, say); any further duplicate is left alone.
    const siblings = HOOKS.filter((h) => h.event === spec.event && h.script === spec.script && h !== spec).map((h) => h.matcher);
    const candidates: { group: Json; gi: number; hook: Json }[] = [];
    groups.forEach((group: unknown, gi) => {
      if (!isObject(group) || !Array.isArray(group.hooks)) return;
      for (const hook of group.hooks as unknown[]) if (isObject(hook) && isOurCommand(hook.command, spec.script) && !claimed.has(hook)) candidates.push({ group, gi, hook });
    });
    const mine = candidates.find((c) => c.group.matcher === spec.matcher) ?? candidates.find((c) => !siblings.includes(c.group.matcher as string | undefined));
    let moveOut: { from: Json; hook: Json } | undefined;
    if (mine) {
      const { group, gi, hook } = mine;
      claimed.add(hook);
      const groupHooks = group.hooks as unknown[];
      if (hook.type !== 'command') { hook.type = 'command'; changes.push(`${spec.event}[${gi}]: type set to command`); }
      if (hook.command !== command) { hook.command = command; changes.push(`${spec.event}[${gi}]: command now ${command}`); }
      if (hook.timeout !== spec.timeout) { hook.timeout = spec.timeout; changes.push(`${spec.event}[${gi}]: timeout ${spec.timeout}s`); }
      if (spec.async && hook.async !== true) { hook.async = true; changes.push(`${spec.event}[${gi}]: async (Claude Code does not wait for it)`); }
      if (!spec.async && hook.async !== undefined) { delete hook.async; changes.push(`${spec.event}[${gi}]: synchronous`); }
      if (spec.matcher !== undefined && group.matcher !== spec.matcher) {
        if (groupHooks.length === 1) {
          group.matcher = spec.matcher;
          changes.push(`${spec.event}[${gi}]: matcher ${spec.matcher}`);
        } else {
          moveOut = { from: group, hook };
        }
      }
    }
    if (moveOut) {
      const { from, hook } = moveOut;
      from.hooks = (from.hooks as unknown[]).filter((h) => h !== hook);
      groups.push({ matcher: spec.matcher, hooks: [hook] });
      changes.push(`${spec.event}: ${String(hook.command)} moved to its own matcher group (${spec.matcher}); the other hooks of its group keep their matcher`);
    }
    if (!mine) {
      const hook: Json = { type: 'command', command, timeout: spec.timeout, ...(spec.async ? { async: true } : {}) };
      claimed.add(hook);
      groups.push({ ...(spec.matcher !== undefined ? { matcher: spec.matcher } : {}), hooks: [hook] });
      changes.push(`${spec.event}: added ${command}${spec.matcher !== undefined ? ` (${spec.matcher}${spec.async ? ', async' : ''})` : ''}`);
    }
  }
  return { settings, changes };
}
