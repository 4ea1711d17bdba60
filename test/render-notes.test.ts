import { describe, expect, it } from 'vitest';
import type { Handoff } from '../src/core/session/handoff.js';
import type { SessionRow, TodoRow } from '../src/core/models.js';
import { ValidationError } from '../src/core/models.js';
import { BEGIN_MARKER, END_MARKER, mergeGenerated, mergeNote, parseNote } from '../src/core/render/generatedSection.js';
import { parseHandoffBlock } from '../src/core/render/handoffBlock.js';
import { handoffUpdatedAt, renderHandoffNote } from '../src/core/render/handoffNote.js';
import { knowledgeInputFromNoteText, renderKnowledgeNote, splitKnowledgeBody } from '../src/core/render/knowledgeNote.js';
import { renderSessionNote, safeFileName, sessionNoteFileName } from '../src/core/render/sessionNote.js';

const session: SessionRow = {
  session_id: '1a2b3c4d-0000-4000-8000-0000000000bb',
  project_id: '00000000-0000-4000-8000-000000000000',
  claude_session_id: 'abc',
  session_start: new Date('2026-11-24T16:00:00Z'),
  session_end: new Date('2026-11-24T18:30:00Z'),
  session_summary: 'Wired the hooks',
  tasks_completed: ['Hook SessionStart', 'Hook SessionEnd'],
  learnings_gained: ['PGlite needs a lock'],
};

const doneTodo: TodoRow = {
  todo_id: '00000000-0000-4000-8000-000000000001',
  project_id: session.project_id,
  created_session_id: null,
  completed_session_id: session.session_id,
  content: 'Write the *spool*',
  active_form: 'Writing the spool',
  status: 'completed',
  priority: 2,
  display_order: 0,
  is_deleted: false,
  created_at: new Date('2026-11-24T16:10:00Z'),
  updated_at: new Date('2026-11-24T17:10:00Z'),
  completed_at: new Date('2026-11-24T17:10:00Z'),
  deleted_at: null,
  source_message_id: null,
  synced_session_id: null,
};

describe('generated section merge', () => {
  it('creates the section in an empty note and replaces only the marked part later', () => {
    const first = mergeGenerated(undefined, 'one');
    expect(first).toBe(`${BEGIN_MARKER}\none\n${END_MARKER}\n`);
    const edited = `My intro\n\n${first}\nMy own notes after.\n`;
    const second = mergeGenerated(edited, 'two');
    expect(second).toBe(`My intro\n\n${BEGIN_MARKER}\ntwo\n${END_MARKER}\n\nMy own notes after.\n`);
  });

  it('appends a section to a note whose markers were removed, keeping all its text', () => {
    expect(mergeGenerated('just mine\n', 'gen')).toBe(`just mine\n\n${BEGIN_MARKER}\ngen\n${END_MARKER}\n`);
  });

  it('never swallows user text after a stray begin marker', () => {
    const body = `${BEGIN_MARKER}\nstray\nkeep me\n${BEGIN_MARKER}\nold\n${END_MARKER}\n`;
    expect(mergeGenerated(body, 'new')).toBe(`${BEGIN_MARKER}\nstray\nkeep me\n${BEGIN_MARKER}\nnew\n${END_MARKER}\n`);
  });

  it('sets the owned frontmatter keys and keeps the user keys', () => {
    const existing = `---\ntags:\n  - mine\nproject: old\n---\nhello\n`;
    const merged = mergeNote(existing, { project: 'new', count: 2 }, 'gen');
    const parsed = parseNote(merged);
    expect(parsed.data).toEqual({ tags: ['mine'], project: 'new', count: 2 });
    expect(parsed.body).toContain('hello');
    expect(parsed.body).toContain('gen');
  });
});

describe('session note', () => {
  const input = { session, projectName: 'claude/family', completedTodos: [doneTodo] };

  it('has a stable, safe file name from date, project and short id', () => {
    expect(sessionNoteFileName(session, 'claude/family')).toBe('2026-11-24 claude-family 1a2b3c4d.md');
    expect(safeFileName('a:b*c?[d]#e')).toBe('a-b-c--d--e');
  });

  it('renders frontmatter and a body with summary, tasks, learnings and completed todos', () => {
    const note = renderSessionNote(input);
    const { data, body } = parseNote(note);
    expect(data).toEqual({
      session_id: session.session_id,
      project: 'claude/family',
      start: '2026-11-24T16:00:00.000Z',
      end: '2026-11-24T18:30:00.000Z',
      tasks_completed: ['Hook SessionStart', 'Hook SessionEnd'],
      learnings: ['PGlite needs a lock'],
    });
    expect(body).toContain('## Summary\n\nWired the hooks');
    expect(body).toContain('## Tasks completed\n\n- Hook SessionStart\n- Hook SessionEnd');
    expect(body).toContain('## Learnings\n\n- PGlite needs a lock');
    expect(body).toContain('- ✓ Write the \\*spool\\* (P2)');
  });

  it('is idempotent and keeps what the user wrote outside the generated section', () => {
    const first = renderSessionNote(input);
    expect(renderSessionNote(input, first)).toBe(first);
    const withNotes = first.replace(END_MARKER, `${END_MARKER}\n\n## My thoughts\nKeep this.`).replace('---\nsession_id', '---\nrating: 5\nsession_id');
    const later = renderSessionNote({ ...input, session: { ...session, session_summary: 'Wired the hooks and the spool' } }, withNotes);
    expect(later).toContain('## My thoughts\nKeep this.');
    expect(later).toContain('Wired the hooks and the spool');
    expect(parseNote(later).data.rating).toBe(5);
    expect(later).not.toContain('Wired the hooks\n');
  });
});

describe('claude-handoff block options', () => {
  it('parses key: value lines', () => {
    expect(parseHandoffBlock('project: claude-family\nsections: focus, Todos\n# a comment\nlimit: 3\n')).toEqual({
      project: 'claude-family',
      sections: ['focus', 'todos'],
      limit: 3,
    });
    expect(parseHandoffBlock('')).toEqual({});
  });

  it('names the bad field', () => {
    expect(() => parseHandoffBlock('limit: lots')).toThrow(ValidationError);
    expect(() => parseHandoffBlock('limit: 0')).toThrow(/limit/);
    expect(() => parseHandoffBlock('sections: focus, gossip')).toThrow(/sections/);
    expect(() => parseHandoffBlock('colour: red')).toThrow(/colour/);
    expect(() => parseHandoffBlock('just words')).toThrow(/line 1/);
  });
});

describe('handoff note', () => {
  const h: Handoff = {
    projectName: 'claude-family',
    known: true,
    inProgress: [],
    pending: [{ ...doneTodo, status: 'pending', completed_at: null, completed_session_id: null, updated_at: new Date('2026-11-25T09:00:00Z') }],
    messages: [],
    pendingMessageCount: 0,
    lastSession: session,
  };

  it('dates itself by its newest row, so an unchanged handoff renders identically', () => {
    expect(handoffUpdatedAt(h)?.toISOString()).toBe('2026-11-25T09:00:00.000Z');
    const note = renderHandoffNote(h);
    expect(parseNote(note).data).toEqual({ project: 'claude-family', updated_at: '2026-11-25T09:00:00.000Z', in_progress: 0, pending: 1, messages: 0 });
    expect(note).toContain('- ○ Write the \\*spool\\* (P2)');
    expect(renderHandoffNote(h, {}, note)).toBe(note);
  });
});

describe('knowledge note', () => {
  const text = `---\npattern_name: Advisory lock migrations\ncategory: postgres\nconfidence_level: "8"\ngotchas: Lock per transaction\n---\n# Advisory lock migrations\n\nTake pg_advisory_xact_lock first.\n\n## Example\n\n\`\`\`sql\nSELECT pg_advisory_xact_lock(1);\n\`\`\`\n`;

  it('reads frontmatter and body into a KnowledgeInput', () => {
    expect(knowledgeInputFromNoteText(text, 'Notes/Advisory.md')).toEqual({
      patternName: 'Advisory lock migrations',
      category: 'postgres',
      description: 'Take pg_advisory_xact_lock first.',
      exampleCode: 'SELECT pg_advisory_xact_lock(1);',
      gotchas: ['Lock per transaction'],
      confidenceLevel: 8,
      sourceNotePath: 'Notes/Advisory.md',
    });
  });

  it('falls back to the note title for pattern_name and names invalid frontmatter keys', () => {
    expect(knowledgeInputFromNoteText('---\ncategory: x\n---\nBody', 'A/My pattern.md').patternName).toBe('My pattern');
    expect(() => knowledgeInputFromNoteText('---\ncategory: x\nconfidence_level: 11\n---\nBody', 'a.md')).toThrow(/confidence_level/);
    expect(() => knowledgeInputFromNoteText('---\nconfidence_level: 3\n---\nBody', 'a.md')).toThrow(/category/);
    expect(() => knowledgeInputFromNoteText('---\ncategory: x\n---\n', 'a.md')).toThrow(/description \(the note body\)/);
  });

  it('keeps example code that contains backtick fences intact', () => {
    const code = 'md = """\n```js\nx\n```\n"""';
    const note = renderKnowledgeNote({
      knowledge_id: '00000000-0000-4000-8000-0000000000cc', pattern_name: 'Fences', category: 'md', description: 'About fences',
      example_code: code, gotchas: [], confidence_level: 5, source_note_path: null, created_at: new Date(), updated_at: new Date(),
    });
    expect(splitKnowledgeBody(parseNote(note).body).exampleCode).toBe(code);
  });
});
