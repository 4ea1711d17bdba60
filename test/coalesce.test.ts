import { describe, expect, it } from 'vitest';
import { coalescing } from '../src/plugin/coalesce.js';

/** A run that waits until released, counting how many ran and how many overlapped. */
function gatedRun() {
  const gates: (() => void)[] = [];
  const stats = { runs: 0, active: 0, maxActive: 0 };
  const run = async () => {
    stats.runs += 1;
    stats.active += 1;
    stats.maxActive = Math.max(stats.maxActive, stats.active);
    await new Promise<void>((r) => gates.push(r));
    stats.active -= 1;
  };
  const releaseNext = async () => {
    while (gates.length === 0) await new Promise((r) => setTimeout(r, 1));
    gates.shift()!();
  };
  return { run, stats, releaseNext };
}

describe('coalescing', () => {
  it('never overlaps runs; calls during a run share exactly one follow-up run', async () => {
    const { run, stats, releaseNext } = gatedRun();
    const refresh = coalescing(run);
    const first = refresh();
    const second = refresh();
    const third = refresh();
    expect(second).toBe(third);
    expect(second).not.toBe(first);
    await releaseNext();
    await first;
    await releaseNext();
    await third;
    expect(stats.runs).toBe(2);
    expect(stats.maxActive).toBe(1);
  });

  it('a caller waits for at most the current run and one more, however often others call', async () => {
    const { run, stats, releaseNext } = gatedRun();
    const refresh = coalescing(run);
    void refresh();
    const mine = refresh();
    let done = false;
    void mine.then(() => (done = true));
    await releaseNext(); // the run that was going on
    await new Promise((r) => setTimeout(r, 5));
    void refresh(); // a poll arriving during my follow-up run
    await releaseNext(); // my follow-up run
    await mine;
    expect(done).toBe(true);
    expect(stats.runs).toBe(2);
    await releaseNext(); // the poll's own follow-up
  });

  it('skips the follow-up once keepGoing says no', async () => {
    const { run, stats, releaseNext } = gatedRun();
    let shown = true;
    const refresh = coalescing(run, () => shown);
    const first = refresh();
    const second = refresh();
    shown = false;
    await releaseNext();
    await first;
    await second;
    expect(stats.runs).toBe(1);
  });
});
