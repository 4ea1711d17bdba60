// Full-text search (migration 005) on both backends: ranking, the project filter, kinds, snippets, and
// hostile queries that must never become a database error.
import { describe, expect, it } from 'vitest';
import { upsertKnowledge } from '../src/core/repos/knowledge.js';
import { ensureProject } from '../src/core/repos/projects.js';
import { closeSession, openSession } from '../src/core/repos/sessions.js';
import { addTodo, softDeleteTodo } from '../src/core/repos/todos.js';
import { getEntry } from '../src/core/search/entry.js';
import { normalizeQuery, parseKinds, QUERY_MAX_CHARS, QUERY_MAX_WORDS, searchMemory, SNIPPET_MAX } from '../src/core/search/search.js';
import { describeEachBackend, uniqueProject } from './support/backends.js';

describe('normalizeQuery and parseKinds', () => {
  it('drops control characters and NUL, collapses whitespace and caps words and length', () => {
    expect(normalizeQuery('  a\u0000b \t\n c\u0007 ')).toBe('a b c');
    const many = Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ');
    expect(normalizeQuery(many).split(' ')).toHaveLength(QUERY_MAX_WORDS);
    const long = normalizeQuery(`${'y'.repeat(10)} ${'z'.repeat(100_000)}`);
    expect(long.length).toBeLessThanOrEqual(QUERY_MAX_CHARS);
    expect(normalizeQuery('\u0000\u0001 ')).toBe('');
    expect(normalizeQuery('a \ud800 b \udc00')).toBe('a b');
    expect(normalizeQuery('𝔘 ok')).toBe('𝔘 ok');
  });

  it('parses kinds, singular or plural, and names an unknown one', () => {
    expect(parseKinds([])).toEqual(['knowledge', 'sessions', 'todos']);
    expect(parseKinds(['todo,Session', 'todos'])).toEqual(['sessions', 'todos']);
    expect(() => parseKinds(['knowledge,notes'])).toThrow(/unknown kind "notes"/);
  });
});

describeEachBackend('search', (t) => {
  const seed = async () => {
    const db = t().db;
    const project = uniqueProject('search');
    const other = uniqueProject('other');
    const tag = project.replace(/[^a-z0-9]/gi, '');
    const p = await ensureProject(db, project);
    const o = await ensureProject(db, other);
    const exact = (await upsertKnowledge(db, { patternName: `Debounce ${tag}`, category: 'ui', description: 'Wait until the typing stops before searching.' })).knowledge;
    // Mentions the name's words many times, but only in its body: must rank below the exact name.
    const wordy = (await upsertKnowledge(db, { patternName: `Input handling ${tag}`, category: 'ui', description: `Debounce ${tag} debounce ${tag}, debounce ${tag} again: debounce ${tag} everything.`, gotchas: [`debounce ${tag} twice`] })).knowledge;
    const s = (await openSession(db, { projectName: project, claudeSessionId: `cc-${tag}` })).session;
    await closeSession(db, { sessionId: s.session_id, summary: `Made ${tag} search debounce the input`, tasksCompleted: ['wired the modal'], learningsGained: ['SuggestModal takes a promise'] });
    const os = (await openSession(db, { projectName: other, claudeSessionId: `cc-o-${tag}` })).session;
    await closeSession(db, { sessionId: os.session_id, summary: `Other project ${tag} debounce work` });
    const todo = await addTodo(db, { projectId: p.project_id, content: `Debounce ${tag} the search box` });
    const gone = await addTodo(db, { projectId: p.project_id, content: `Deleted ${tag} debounce todo` });
    await softDeleteTodo(db, gone.todo_id);
    await addTodo(db, { projectId: o.project_id, content: `Other ${tag} debounce todo` });
    return { db, project, other, tag, exact, wordy, session: s, otherSession: os, todo, gone };
  };

  it('ranks an exact pattern-name match first, and finds sessions and todos of the project only', async () => {
    const { db, project, tag, exact, wordy, session, todo, gone, otherSession } = await seed();
    const hits = await searchMemory(db, { query: `Debounce ${tag}`, project, limit: 20 });
    expect(hits[0]).toMatchObject({ kind: 'knowledge', id: exact.knowledge_id, project: null, title: `Debounce ${tag}` });
    const ids = hits.map((h) => h.id);
    expect(ids).toContain(wordy.knowledge_id);
    expect(ids).toContain(session.session_id);
    expect(ids).toContain(todo.todo_id);
    expect(ids).not.toContain(gone.todo_id);
    expect(ids).not.toContain(otherSession.session_id);
    expect(hits.find((h) => h.id === session.session_id)).toMatchObject({ kind: 'session', project });
    for (const h of hits) {
      expect(h.snippet.length).toBeLessThanOrEqual(SNIPPET_MAX);
      expect(h.date).toBeInstanceOf(Date);
    }
    // Ranks never increase down the list.
    for (let i = 1; i < hits.length; i++) expect(hits[i]!.rank).toBeLessThanOrEqual(hits[i - 1]!.rank);
  });

  it('searches every project without one, only the kinds asked for, and stops at the limit', async () => {
    const { db, tag, otherSession } = await seed();
    const all = await searchMemory(db, { query: `debounce ${tag}`, kinds: ['sessions'] });
    expect(all.map((h) => h.kind)).toEqual(['session', 'session']);
    expect(all.map((h) => h.id)).toContain(otherSession.session_id);
    expect(await searchMemory(db, { query: `debounce ${tag}`, limit: 2 })).toHaveLength(2);
    // All words must match: no entry has this one as well.
    expect(await searchMemory(db, { query: `typing stops absent${tag}`, kinds: ['knowledge'] })).toEqual([]);
    const one = await searchMemory(db, { query: 'typing stops', kinds: ['knowledge'] });
    expect(one.some((h) => h.snippet.includes('**typing** **stops**'))).toBe(true);
  });

  it('web-search syntax: phrases, OR and exclusion', async () => {
    const { db, project, tag, exact, wordy } = await seed();
    const excluded = await searchMemory(db, { query: `debounce ${tag} -everything`, kinds: ['knowledge'], project });
    expect(excluded.map((h) => h.id)).toEqual([exact.knowledge_id]);
    const either = await searchMemory(db, { query: `"typing stops" or "${tag} everything"`, kinds: ['knowledge'] });
    expect(either.map((h) => h.id).sort()).toEqual(expect.arrayContaining([exact.knowledge_id, wordy.knowledge_id]));
  });

  it('never turns a hostile query into a database error', async () => {
    const { db } = await seed();
    const hostile = [
      "'; DROP TABLE claude.knowledge; --",
      'a & b | !c <-> d:* (e',
      '"unclosed phrase',
      '!!! ((( ))) ::: <2> &&& |||',
      'x'.repeat(100_000),
      'word '.repeat(20_000),
      'nul\u0000inside',
      '\u0000',
      '\\ \\\\ \' "',
      '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \ud83d',
      'the and of',
      '',
    ];
    for (const query of hostile) {
      await expect(searchMemory(db, { query }), JSON.stringify(query.slice(0, 40))).resolves.toEqual(expect.any(Array));
    }
    expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM claude.knowledge')).rows[0]!.n).toBeGreaterThan(0);
  });

  it('getEntry finds a knowledge entry, a session or a todo by id alone', async () => {
    const { db, project, exact, session, todo } = await seed();
    expect(await getEntry(db, exact.knowledge_id)).toMatchObject({ kind: 'knowledge', knowledge: { knowledge_id: exact.knowledge_id } });
    expect(await getEntry(db, session.session_id)).toMatchObject({ kind: 'session', project, session: { session_id: session.session_id } });
    expect(await getEntry(db, todo.todo_id.toUpperCase())).toMatchObject({ kind: 'todo', project, todo: { todo_id: todo.todo_id } });
    expect(await getEntry(db, '00000000-0000-4000-8000-000000000000')).toBeUndefined();
    await expect(getEntry(db, 'nope')).rejects.toThrow(/invalid id/);
  });

  it('keeps the search columns current on every write', async () => {
    const { db, exact, tag } = await seed();
    await upsertKnowledge(db, { knowledgeId: exact.knowledge_id, patternName: exact.pattern_name, category: 'ui', description: `Renamed ${tag} throttle` });
    const hits = await searchMemory(db, { query: `throttle ${tag}`, kinds: ['knowledge'] });
    expect(hits.map((h) => h.id)).toEqual([exact.knowledge_id]);
  });
});
