/**
 * Wraps an async refresh so runs never overlap. A call while a run is going on gets one follow-up run,
 * shared by every call that arrives meanwhile, so each caller sees data read after its call and waits
 * for at most the current run plus one: a steady stream of calls (a 1 s poll while each run takes
 * longer) can never keep a caller waiting for ever. The follow-up is skipped when `keepGoing()` no
 * longer holds (a block that was closed).
 */
export function coalescing(run: () => Promise<void>, keepGoing: () => boolean = () => true): () => Promise<void> {
  let current: Promise<void> | undefined;
  let next: Promise<void> | undefined;
  const start = (): Promise<void> => {
    const started = run().finally(() => {
      if (current === started) current = undefined;
    });
    current = started;
    return started;
  };
  return () => {
    if (!current) return start();
    next ??= current
      .catch(() => {})
      .then(() => {
        next = undefined;
        return keepGoing() ? start() : undefined;
      });
    return next;
  };
}
