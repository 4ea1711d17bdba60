import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';

/**
 * A running process as the housekeeping code needs it. `startTime` is an opaque identity token
 * (`proc:<ticks since boot>` on Linux, `ps:<lstart text>` elsewhere): a pid together with its
 * start time names one process for its whole life, so a reused pid is never mistaken for it.
 */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  startTime: string;
  /** When it started, as an ISO date (Linux: computed from boot time and clock ticks). */
  startedAt?: string;
  /** Executable name (Linux: the kernel's comm; elsewhere the basename of argv[0]). */
  name: string;
  /** The command line, arguments joined with spaces. */
  command: string;
}

/** Where process information comes from; tests can use the real one or a fake. */
export interface ProcessSource {
  /** The live process with this pid, or undefined (gone, or a zombie that only waits to be reaped). */
  get(pid: number): ProcessInfo | undefined;
  /** Every live process visible to this user (zombies left out). */
  list(): ProcessInfo[];
}

// ---------------------------------------------------------------------------------------------
// Linux: /proc
// ---------------------------------------------------------------------------------------------

/** Clock ticks per second for /proc starttime; 100 on every mainstream Linux build (USER_HZ). */
const CLK_TCK = 100;

let bootTimeMs: number | undefined;
function bootTime(): number | undefined {
  if (bootTimeMs !== undefined) return bootTimeMs;
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith('btime '));
    if (line) bootTimeMs = Number(line.split(/\s+/)[1]) * 1000;
  } catch {
    // no boot time: start dates are left out, identity still works
  }
  return bootTimeMs;
}

/**
 * Parses /proc/<pid>/stat. The command name (field 2) is in parentheses and may itself contain spaces
 * and parentheses, so fields are counted from the last ')'. Returns undefined for zombies.
 */
export function parseProcStat(text: string): { pid: number; name: string; state: string; ppid: number; startTicks: string } | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number.parseInt(text.slice(0, open), 10);
  const rest = text.slice(close + 1).trim().split(/\s+/);
  // rest[0] is field 3 (state), so field n is rest[n - 3]: ppid = field 4, starttime = field 22.
  const state = rest[0];
  const ppid = Number.parseInt(rest[1] ?? '', 10);
  const startTicks = rest[19];
  if (!Number.isFinite(pid) || !Number.isFinite(ppid) || !state || !startTicks || !/^\d+$/.test(startTicks)) return undefined;
  return { pid, name: text.slice(open + 1, close), state, ppid, startTicks };
}

function readProc(pid: number): ProcessInfo | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const parsed = parseProcStat(stat);
  if (!parsed || parsed.state === 'Z' || parsed.state === 'X') return undefined;
  let command = '';
  try {
    command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').split('\0').join(' ');
  } catch {
    // exited between the two reads, or not ours to read: the name has to do
  }
  const boot = bootTime();
  const startedAt = boot === undefined ? undefined : new Date(boot + (Number(parsed.startTicks) * 1000) / CLK_TCK).toISOString();
  return { pid: parsed.pid, ppid: parsed.ppid, startTime: `proc:${parsed.startTicks}`, startedAt, name: parsed.name, command: command || `[${parsed.name}]` };
}

export const procfsSource: ProcessSource = {
  get(pid) {
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    return readProc(pid);
  },
  list() {
    let entries: string[];
    try {
      entries = readdirSync('/proc');
    } catch {
      return [];
    }
    const out: ProcessInfo[] = [];
    for (const e of entries) {
      if (!/^\d+$/.test(e)) continue;
      const info = readProc(Number(e));
      if (info) out.push(info);
    }
    return out;
  },
};

// ---------------------------------------------------------------------------------------------
// Elsewhere (macOS, BSD): ps
// ---------------------------------------------------------------------------------------------

/**
 * Parses `ps -o pid=,ppid=,stat=,lstart=,args=` output (LC_ALL=C). lstart is five words, e.g.
 * "Wed Nov 25 11:45:45 2026"; args is the rest of the line.
 */
export function parsePsOutput(text: string): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(\w{3}\s+\w{3}\s+\d{1,2}\s+\d{1,2}:\d{2}:\d{2}\s+\d{4})\s?(.*)$/.exec(line);
    if (!m) continue;
    const [, pid, ppid, stat, lstart, args] = m as unknown as [string, string, string, string, string, string];
    if (stat.startsWith('Z')) continue;
    const lstartText = lstart.replace(/\s+/g, ' ');
    const date = new Date(lstartText);
    const command = args.trim();
    out.push({
      pid: Number(pid),
      ppid: Number(ppid),
      startTime: `ps:${lstartText}`,
      startedAt: Number.isNaN(date.getTime()) ? undefined : date.toISOString(),
      name: basename(command.split(' ')[0] ?? '').replace(/^-/, ''),
      command,
    });
  }
  return out;
}

function runPs(args: string[]): string {
  try {
    return execFileSync('ps', args, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
  } catch (err) {
    // ps exits 1 when a -p pid does not exist; its (empty) stdout is still the answer.
    const stdout = (err as { stdout?: unknown }).stdout;
    return typeof stdout === 'string' ? stdout : '';
  }
}

const PS_FORMAT = 'pid=,ppid=,stat=,lstart=,args=';

export const psSource: ProcessSource = {
  get(pid) {
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    return parsePsOutput(runPs(['-p', String(pid), '-o', PS_FORMAT])).find((p) => p.pid === pid);
  },
  list() {
    return parsePsOutput(runPs(['-A', '-o', PS_FORMAT]));
  },
};

// ---------------------------------------------------------------------------------------------

let detected: ProcessSource | undefined;
/** /proc where it exists (Linux), ps otherwise. */
export function defaultProcessSource(): ProcessSource {
  if (!detected) {
    let hasProc = false;
    try {
      hasProc = readFileSync('/proc/self/stat', 'utf8').length > 0;
    } catch {
      hasProc = false;
    }
    detected = hasProc ? procfsSource : psSource;
  }
  return detected;
}

/**
 * Every process below `pid` (its children, their children, ...), parents before their children, from one
 * read of the process table. A process in `skip` is left out together with everything below it.
 */
export function descendantsOf(source: ProcessSource, pid: number, skip: ReadonlySet<number> = new Set()): ProcessInfo[] {
  const byParent = new Map<number, ProcessInfo[]>();
  for (const p of source.list()) {
    if (p.pid === p.ppid) continue;
    const siblings = byParent.get(p.ppid);
    if (siblings) siblings.push(p);
    else byParent.set(p.ppid, [p]);
  }
  const found: ProcessInfo[] = [];
  const seen = new Set<number>([pid]);
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of byParent.get(queue.shift()!) ?? []) {
      if (seen.has(child.pid) || skip.has(child.pid)) continue;
      seen.add(child.pid);
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/** True when the process seen as `seen` (pid and start time) is still running: not exited, pid not reused. */
export function isSameProcessAlive(source: ProcessSource, seen: { pid: number; startTime: string }): boolean {
  return source.get(seen.pid)?.startTime === seen.startTime;
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'fish', 'ash', 'busybox', 'cmd.exe', 'powershell', 'pwsh']);

/** A shell process (`sh -c` hook wrappers and the like). */
export function isShell(p: Pick<ProcessInfo, 'name' | 'command'>): boolean {
  const argv0 = basename(p.command.split(' ')[0] ?? '').replace(/^-/, '');
  return SHELLS.has(p.name.replace(/^-/, '')) || SHELLS.has(argv0);
}

/**
 * A process that only launches another one: a shell, or an npm/npx launcher (`npx claude-family hook ...`
 * runs the hook under `npm exec`). findClaudePid walks past these.
 */
export function isWrapperProcess(p: Pick<ProcessInfo, 'name' | 'command'>): boolean {
  if (isShell(p)) return true;
  const argv = p.command.split(' ');
  const argv0 = basename(argv[0] ?? '');
  if (p.name === 'npx' || p.name === 'npm' || p.name.startsWith('npm exec') || argv0 === 'npx' || argv0 === 'npm') return true;
  // node running npm's own entry points: node /usr/lib/node_modules/npm/bin/npx-cli.js ...
  return /^node(js)?$/.test(argv0) && /(^|\/)npm\/bin\/np[mx]-cli\.js$/.test(argv[1] ?? '');
}

/**
 * The ancestors of `startPid` (itself first), up to but not including pid 1, as far as they can be read.
 * Bounded, so a cycle in odd process data cannot loop forever.
 */
export function ancestry(source: ProcessSource, startPid: number): ProcessInfo[] {
  const chain: ProcessInfo[] = [];
  let pid = startPid;
  for (let i = 0; i < 64 && pid > 1; i++) {
    const info = source.get(pid);
    if (!info) break;
    chain.push(info);
    if (info.ppid === pid) break;
    pid = info.ppid;
  }
  return chain;
}
