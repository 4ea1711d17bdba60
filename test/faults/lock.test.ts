// Lock files that cannot wedge (issue 15): a lock is taken atomically with its owner inside; an empty or
// unreadable lock older than a few seconds is stale; a pid counts only while its start time matches; and
// of many processes finding a lock stale at once, exactly one takes it over. The takers are real child
// processes (the race is between processes, not promises).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileLock, LockBusyError } from '../../src/core/fs/fileLock.js';
import { defaultProcessSource } from '../../src/core/housekeeping/processes.js';
import { bundleScript } from '../support/bundle.js';
import { tempDirs } from '../support/tempDirs.js';

const tempDir = tempDirs('cf-lock');
const ROOT = resolve(import.meta.dirname, '../..');

/** A pid that is not running any more, with the start time it had. */
async function deadProcess(): Promise<{ pid: number; start: string }> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 200)'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 50));
  const start = defaultProcessSource().get(child.pid!)!.startTime;
  await new Promise((r) => child.on('exit', r));
  return { pid: child.pid!, start };
}

function ageBy(path: string, seconds: number): void {
  const t = new Date(Date.now() - seconds * 1000);
  utimesSync(path, t, t);
}

describe('FileLock: stale locks', () => {
  it('an empty lock file is held while young, stale once older than a few seconds, and then taken', async () => {
    const dir = tempDir('empty');
    const path = join(dir, 'spool.lock');
    writeFileSync(path, '');
    expect(FileLock.inspect(path).state).toBe('held');
    expect(FileLock.tryAcquire(path)).toBeUndefined();
    ageBy(path, 10);
    expect(FileLock.inspect(path)).toMatchObject({ state: 'stale', reason: expect.stringMatching(/^empty lock file, 10 s old/) });
    const lock = await FileLock.acquire(path, 1000);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid });
    lock.release();
    expect(existsSync(path)).toBe(false);
  });

  it('an unreadable (garbage) lock file older than a few seconds is stale', () => {
    const path = join(tempDir('garbage'), 'x.lock');
    writeFileSync(path, '\u0000\u0000{not json');
    ageBy(path, 5);
    const lock = FileLock.tryAcquire(path);
    expect(lock).toBeDefined();
    lock!.release();
  });

  it('a lock whose pid was reused by another process is stale (the start time does not match)', () => {
    const path = join(tempDir('reuse'), 'x.lock');
    // Our own pid is certainly alive; a different start time means the pid was reused.
    writeFileSync(path, JSON.stringify({ pid: process.ppid, start: 'proc:1', host: hostname() }));
    expect(FileLock.inspect(path)).toMatchObject({ state: 'stale', reason: expect.stringMatching(/pid now belongs to another process/) });
    const lock = FileLock.tryAcquire(path);
    expect(lock).toBeDefined();
    lock!.release();
  });

  it('a lock of a dead process is stale; a live one is held and acquire gives up with LockBusyError naming it', async () => {
    const path = join(tempDir('dead'), 'x.lock');
    const dead = await deadProcess();
    writeFileSync(path, JSON.stringify({ pid: dead.pid, start: dead.start }));
    expect(FileLock.inspect(path).state).toBe('stale');
    const holder = FileLock.tryAcquire(path)!;
    expect(holder).toBeDefined();
    expect(FileLock.inspect(path)).toMatchObject({ state: 'held', owner: { pid: process.pid } });
    const err = await FileLock.acquire(path, 100).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockBusyError);
    expect((err as LockBusyError).owner).toBe(process.pid);
    holder.release();
  });

  it('clearIfStale removes a stale lock and never a held one', async () => {
    const dir = tempDir('clear');
    const stale = join(dir, 'a.lock');
    const dead = await deadProcess();
    writeFileSync(stale, JSON.stringify({ pid: dead.pid, start: dead.start }));
    expect(FileLock.clearIfStale(stale)).toBe(true);
    expect(existsSync(stale)).toBe(false);
    const held = FileLock.tryAcquire(join(dir, 'b.lock'))!;
    expect(FileLock.clearIfStale(join(dir, 'b.lock'))).toBe(false);
    expect(existsSync(join(dir, 'b.lock'))).toBe(true);
    held.release();
  });
});

describe('FileLock: exactly one winner of a takeover', { timeout: 120_000 }, () => {
  const TAKERS = 6;
  const ROUNDS = 30;
  let worker: string;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    worker = await bundleScript(`
      import { existsSync, renameSync, writeFileSync } from 'node:fs';
      import { join } from 'node:path';
      import { FileLock } from ${JSON.stringify(join(ROOT, 'src/core/fs/fileLock.ts'))};
      const [dir, id, rounds] = process.argv.slice(2);
      const wait = async (f) => { while (!existsSync(f)) await new Promise((r) => setTimeout(r, 2)); };
      for (let round = 0; round < Number(rounds); round++) {
        await wait(join(dir, 'go-' + round));
        const lock = FileLock.tryAcquire(join(dir, 'the.lock'));
        // Written whole before it appears: the test counts the files, then reads them.
        writeFileSync(join(dir, 'tmp-' + id), lock ? 'won' : 'lost');
        renameSync(join(dir, 'tmp-' + id), join(dir, 'result-' + round + '-' + id));
        await wait(join(dir, 'end-' + round));
        lock?.release();
        writeFileSync(join(dir, 'done-' + round + '-' + id), '');
      }
    `);
  });
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });

  it(`${TAKERS} processes taking over a dead owner's lock at once, ${ROUNDS} rounds: one winner every round`, async () => {
    const dir = tempDir('takeover');
    for (let i = 0; i < TAKERS; i++) children.push(spawn(process.execPath, [worker, dir, String(i), String(ROUNDS)], { stdio: 'ignore' }));
    const waitFor = async (pred: () => boolean) => {
      const deadline = Date.now() + 20_000;
      while (!pred()) {
        if (Date.now() > deadline) throw new Error('workers did not answer');
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const winners: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const dead = await deadProcess();
      // Three kinds of stale lock in turn: a dead owner as an older build wrote it (a bare pid), a dead
      // owner with its start time, and an old empty file.
      const kind = round % 3;
      writeFileSync(join(dir, 'the.lock'), kind === 0 ? String(dead.pid) : kind === 1 ? JSON.stringify({ pid: dead.pid, start: dead.start }) : '');
      if (kind === 2) ageBy(join(dir, 'the.lock'), 10);
      writeFileSync(join(dir, `go-${round}`), '');
      await waitFor(() => readdirSync(dir).filter((f) => f.startsWith(`result-${round}-`)).length === TAKERS);
      winners.push(readdirSync(dir).filter((f) => f.startsWith(`result-${round}-`) && readFileSync(join(dir, f), 'utf8') === 'won').length);
      writeFileSync(join(dir, `end-${round}`), '');
      await waitFor(() => readdirSync(dir).filter((f) => f.startsWith(`done-${round}-`)).length === TAKERS);
    }
    expect(winners).toEqual(Array.from({ length: ROUNDS }, () => 1));
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp') || f.endsWith('.break'))).toEqual([]);
  });
});
