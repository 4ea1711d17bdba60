import { describe, expect, it } from 'vitest';
import { ancestry, defaultProcessSource, isShell, parseProcStat, parsePsOutput, procfsSource, psSource } from '../../src/core/housekeeping/processes.js';

describe('process listing', () => {
  it('parses /proc/<pid>/stat, counting fields from the last parenthesis', () => {
    const stat = '4242 (weird) name (x)) S 17 4242 17 0 -1 4194304 97 0 0 0 0 0 0 0 20 0 1 0 987654 3133440 381';
    expect(parseProcStat(stat)).toEqual({ pid: 4242, name: 'weird) name (x)', state: 'S', ppid: 17, startTicks: '987654' });
    expect(parseProcStat('garbage')).toBeUndefined();
  });

  it('parses ps output with lstart and arguments containing spaces, leaving zombies out', () => {
    const text = [
      '  101     1 Ss   Wed Nov 25 11:45:41 2026 /usr/local/bin/node /opt/server.js --port 3000',
      '  102   101 Z    Wed Nov  5 09:05:01 2026 [node] <defunct>',
      '  103   101 S+   Wed Nov  5 09:05:01 2026 -bash',
      'not a process line',
    ].join('\n');
    const rows = parsePsOutput(text);
    expect(rows.map((r) => [r.pid, r.ppid, r.name, r.command, r.startTime])).toEqual([
      [101, 1, 'node', '/usr/local/bin/node /opt/server.js --port 3000', 'ps:Wed Nov 25 11:45:41 2026'],
      [103, 101, 'bash', '-bash', 'ps:Wed Nov 5 09:05:01 2026'],
    ]);
    expect(isShell(rows[1]!)).toBe(true);
    expect(isShell(rows[0]!)).toBe(false);
  });

  it('the real sources agree on this process: pid, parent, command line, a stable start time', () => {
    expect(defaultProcessSource()).toBe(procfsSource);
    for (const source of [procfsSource, psSource]) {
      const me = source.get(process.pid)!;
      expect(me.ppid).toBe(process.ppid);
      expect(me.command).toContain(process.argv[1]!.split('/').pop()!);
      expect(source.get(process.pid)?.startTime).toBe(me.startTime);
      expect(source.list().some((p) => p.pid === process.pid)).toBe(true);
      expect(source.get(2 ** 22 + 7)).toBeUndefined();
    }
    const procStart = Date.parse(procfsSource.get(process.pid)!.startedAt!);
    const psStart = Date.parse(psSource.get(process.pid)!.startedAt!);
    expect(Math.abs(procStart - psStart)).toBeLessThan(2000);
    expect(ancestry(procfsSource, process.pid).map((p) => p.pid).slice(0, 2)).toEqual([process.pid, process.ppid]);
  });
});
