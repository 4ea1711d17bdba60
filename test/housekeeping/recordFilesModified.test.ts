import { expect, it } from 'vitest';
import { DbUnavailableError, type Db } from '../../src/core/db/db.js';
import { recordFilesModified } from '../../src/core/housekeeping/docCheck.js';
import { getSessionState, upsertSessionState } from '../../src/core/repos/sessionState.js';
import { describeEachBackend, uniqueProject } from '../support/backends.js';

describeEachBackend('recordFilesModified', (ctx) => {
  it('stores the deduplicated, sorted list in session_state.files_modified', async () => {
    const { db } = ctx();
    const project = uniqueProject('hk');
    const r = await recordFilesModified(db, project, ['src/b.ts', ' src/a.ts ', 'src/b.ts', '', 'README.md']);
    expect(r.ok).toBe(true);
    expect(r.problems).toEqual([]);
    expect(r.stored).toEqual(['README.md', 'src/a.ts', 'src/b.ts']);
    expect((await getSessionState(db, project))?.files_modified).toEqual(['README.md', 'src/a.ts', 'src/b.ts']);
  });

  it('changes only files_modified: focus and next steps written earlier stay', async () => {
    const { db } = ctx();
    const project = uniqueProject('hk');
    await upsertSessionState(db, { projectName: project, currentFocus: 'Housekeeping', nextSteps: ['wire the hook'], filesModified: ['old.ts'] });
    await recordFilesModified(db, project, ['new.ts']);
    const row = await getSessionState(db, project);
    expect(row?.files_modified).toEqual(['new.ts']);
    expect(row?.current_focus).toBe('Housekeeping');
    expect(row?.next_steps).toEqual(['wire the hook']);
    await recordFilesModified(db, project, []);
    expect((await getSessionState(db, project))?.files_modified).toEqual([]);
  });

  it('over-long paths are left out with a note; a failed write comes back, not thrown', async () => {
    const { db } = ctx();
    const project = uniqueProject('hk');
    const r = await recordFilesModified(db, project, ['ok.ts', `${'x'.repeat(4097)}.ts`]);
    expect(r.stored).toEqual(['ok.ts']);
    expect(r.problems).toEqual(['1 path(s) longer than 4096 characters left out']);

    const down: Db = { ...db, query: () => Promise.reject(new DbUnavailableError('Postgres unavailable: simulated')) };
    const failed = await recordFilesModified(down, project, ['a.ts']);
    expect(failed.ok).toBe(false);
    expect(failed.error).toBeInstanceOf(DbUnavailableError);
    expect(failed.problems).toEqual(['storing files_modified failed: Postgres unavailable: simulated']);
    const invalid = await recordFilesModified(db, '   ', ['a.ts']);
    expect(invalid.ok).toBe(false);
    expect(invalid.problems[0]).toMatch(/^storing files_modified failed: invalid session state: projectName/);
  });
});
