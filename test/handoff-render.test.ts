import { describe, expect, it } from 'vitest';
import type { Handoff } from '../src/core/session/handoff.js';
import type { TodoRow } from '../src/core/models.js';
import { escapeMarkdown, renderHandoffMarkdown, renderHandoffText } from '../src/core/render/handoff.js';

let n = 0;
function todo(content: string, status: TodoRow['status'], priority = 3): TodoRow {
  n += 1;
  const at = new Date('2026-11-20T10:00:00Z');
  return {
    todo_id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    project_id: '00000000-0000-4000-8000-000000000000',
    created_session_id: null,
    completed_session_id: null,
    content,
    active_form: `${content} (doing)`,
    status,
    priority,
    display_order: n,
    is_deleted: false,
    created_at: at,
    updated_at: at,
    completed_at: null,
    deleted_at: null,
    source_message_id: null,
    synced_session_id: null,
  };
}

const handoff: Handoff = {
  projectName: 'claude-family',
  known: true,
  state: {
    project_name: 'claude-family',
    current_focus: 'Building governance system',
    pending_actions: ['Review hook timings'],
    next_steps: ['Complete hooks', 'Test deployment'],
    files_modified: [],
    todo_list: null,
    updated_at: new Date('2026-11-24T18:00:00Z'),
  },
  inProgress: [todo('Fix orchestrator bug', 'in_progress'), todo('Update documentation', 'in_progress')],
  pending: ['Test session lifecycle', 'Commit changes', 'Update vault docs', 'Four', 'Five', 'Six'].map((c) => todo(c, 'pending')),
  messages: [
    { message_id: '00000000-0000-4000-8000-0000000000aa', from_project: 'nimbus', to_project: 'claude-family', body: 'Schema\nchanged', status: 'pending', created_at: new Date(), read_at: null },
  ],
  pendingMessageCount: 1,
  lastSession: {
    session_id: '00000000-0000-4000-8000-0000000000bb',
    project_id: '00000000-0000-4000-8000-000000000000',
    claude_session_id: 'abc',
    session_start: new Date('2026-11-24T16:00:00Z'),
    session_end: new Date('2026-11-24T18:00:00Z'),
    session_summary: 'Wired the hooks',
    tasks_completed: [],
    learnings_gained: [],
  },
};

describe('renderHandoffText (the SessionStart block from the seed)', () => {
  it('shows focus, counts, in-progress, the top five pending and messages', () => {
    const text = renderHandoffText(handoff);
    expect(text).toContain('=== WHERE WE LEFT OFF ===');
    expect(text).toContain('Focus: Building governance system');
    expect(text).toContain('Active Todos: 8 total (2 in progress, 6 pending)');
    expect(text).toContain('In Progress:\n  [>] [P3] Fix orchestrator bug\n  [>] [P3] Update documentation');
    expect(text).toContain('Pending (top 5):\n  [ ] [P3] Test session lifecycle');
    expect(text).not.toContain('Six');
    expect(text).toContain('Next steps:\n  1. Complete hooks\n  2. Test deployment');
    expect(text).toContain('Pending messages: 1\n  - from nimbus: Schema changed');
    expect(text).toContain('Last session: 2026-11-24 18:00 UTC - Wired the hooks');
    const unsummarised = { ...handoff.lastSession!, session_summary: null };
    expect(renderHandoffText({ ...handoff, lastSession: unsummarised })).toContain('Last session: 2026-11-24 18:00 UTC (closed without a summary)');
    expect(renderHandoffText({ ...handoff, lastSession: { ...unsummarised, session_end: null } })).toMatch(/^Last session: .* UTC \(not closed\)$/m);
  });

  it('says so when nothing is recorded yet', () => {
    const text = renderHandoffText({ projectName: 'new', known: false, inProgress: [], pending: [], messages: [], pendingMessageCount: 0 });
    expect(text).toContain('Focus: (none recorded)');
    expect(text).toContain('Active Todos: 0 total (0 in progress, 0 pending)');
    expect(text).not.toContain('In Progress:');
  });
});

describe('renderHandoffMarkdown', () => {
  it('renders the chosen sections with checkboxes and a limit', () => {
    const md = renderHandoffMarkdown(handoff, { sections: ['focus', 'todos'], limit: 2 });
    expect(md).toContain('## Focus\n\nBuilding governance system');
    expect(md).toContain('- ◐ Fix orchestrator bug (doing) (P3)');
    expect(md).toContain('- ○ Test session lifecycle (P3)\n- ○ Commit changes (P3)\n- … and 4 more pending');
    expect(md).not.toContain('## Messages');
  });

  it('says when the last session was closed without a summary', () => {
    const last = (lastSession: typeof handoff.lastSession) => renderHandoffMarkdown({ ...handoff, lastSession }, { sections: ['last'] });
    expect(last(handoff.lastSession)).toContain('Wired the hooks');
    expect(last({ ...handoff.lastSession!, session_summary: null })).toMatch(/## Last session\n\n.* UTC\n\n_Closed without a summary\._/);
    expect(last({ ...handoff.lastSession!, session_summary: null, session_end: null })).not.toContain('Closed without');
  });

  it('escapes Markdown so a todo cannot inject links, embeds or headings', () => {
    expect(escapeMarkdown('![[secret]] # not a heading *bold*')).toBe('\\!\\[\\[secret\\]\\] \\# not a heading \\*bold\\*');
  });
});
