// @vitest-environment happy-dom
// The plugin glue end to end against the in-memory Obsidian fake and a real database on both backends:
// Postgres and the embedded local server (found through a data directory's server.json), live by
// LISTEN/NOTIFY on both.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as O from 'obsidian';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { Db } from '../src/core/db/db.js';
import { makeEvent } from '../src/core/events/events.js';
import { appendToSpool, spoolHasEvents } from '../src/core/events/spool.js';
import { parseNote } from '../src/core/render/generatedSection.js';
import { END_MARKER } from '../src/core/render/generatedSection.js';
import { openPostgres } from '../src/core/db/pg.js';
import { findKnowledgeByName, getKnowledge } from '../src/core/repos/knowledge.js';
import { countPendingMessages, sendMessage } from '../src/core/repos/messages.js';
import { getProjectByName } from '../src/core/repos/projects.js';
import { upsertSessionState } from '../src/core/repos/sessionState.js';
import { closeSession, listSessions, openSession } from '../src/core/repos/sessions.js';
import { addTodo, getTodo, listActiveTodos, setTodoStatus } from '../src/core/repos/todos.js';
import { syncTaskList, type TaskItem } from '../src/core/session/todoSync.js';
import ClaudeFamilyPlugin from '../src/plugin/main.js';
import type { ClaudeFamilySettings } from '../src/plugin/settings.js';
import type { ClaudeFamilySettingTab } from '../src/plugin/settingsTab.js';
import type { HandoffBlockChild } from '../src/plugin/handoffBlock.js';
import type { AddTodoModal } from '../src/plugin/todos.js';
import type { KnowledgeSuggestModal } from '../src/plugin/knowledge.js';
import { App, notices, openModals, renderCodeBlock, type Plugin as FakePlugin } from './fakes/obsidian.js';
import { describeEachBackend, uniqueProject } from './support/backends.js';
import { attachDataDir } from './support/embeddedServer.js';

const manifest: O.PluginManifest = { id: 'claude-family', name: 'Claude Family', version: '0.1.0', minAppVersion: '1.11.4', description: '', author: '' };

// A loaded 2-core CI machine is slow; no speed claims here.
vi.setConfig({ testTimeout: 180_000 });

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Writer {
  /** A hook-like writer: another connection to the same database. */
  run<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

describeEachBackend(
  'Obsidian plugin',
  (ctx, backend) => {
    let writer: Writer;
    let base: Partial<ClaudeFamilySettings>;
    let app: App;
    let plugin: ClaudeFamilyPlugin;
    const project = uniqueProject('vault');
    /** Embedded: a project whose only event waited in the hooks' spool when the plugin started. */
    const spooledProject = uniqueProject('spooled');
    let sessionId: string;
    let projectId: string;

    let dataDir: string | undefined;

    beforeAll(async () => {
      const t = ctx();
      const other = openPostgres({ connectionString: t.url });
      writer = { run: (fn) => fn(other), close: () => other.close() };
      // A long interval: updates must arrive by NOTIFY, not by polling, in both modes.
      if (backend === 'postgres') {
        base = { mode: 'postgres', connectionString: t.url, refreshSeconds: 3600, autoWriteNotes: false, vaultSync: false };
      } else {
        dataDir = mkdtempSync(join(tmpdir(), 'cf-plugin-data-'));
        attachDataDir(dataDir, t.name);
        base = { mode: 'embedded', dataDir, refreshSeconds: 3600, autoWriteNotes: false, vaultSync: false };
        // A hook could not reach the server a moment ago: its event waits in the spool.
        appendToSpool(dataDir, makeEvent({ kind: 'todo_write', project: spooledProject, claude_session_id: `${spooledProject}-s1`, todos: [{ content: 'Spooled by a hook', status: 'pending' }] }));
      }
      ({ sessionId, projectId } = await writer.run(async (db) => {
        const { session } = await openSession(db, { projectName: project, claudeSessionId: `${project}-s1` });
        await addTodo(db, { projectId: session.project_id, content: 'First todo', priority: 2 });
        await addTodo(db, { projectId: session.project_id, content: 'Already doing', status: 'in_progress', activeForm: 'Doing it already' });
        await upsertSessionState(db, { projectName: project, currentFocus: 'Plugin tests', nextSteps: ['Ship it'] });
        return { sessionId: session.session_id, projectId: session.project_id };
      }));

      app = new App();
      plugin = new ClaudeFamilyPlugin(app as unknown as O.App, manifest);
      (plugin as unknown as FakePlugin).data = { ...base, projects: project };
      await app.enablePlugin(plugin);
      // Writes made before the LISTEN connection is up are (rightly) not notified: wait for it.
      await until(
        async () =>
          (await writer.run((db) => db.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'`))).rows.length === 1,
        'the LISTEN connection',
      );
    });

    afterAll(async () => {
      plugin?.unload();
      await plugin?.connection.close();
      await writer?.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    it('registers its commands, ribbon icon, status bar item, settings tab and code block', () => {
      expect([...app.commands.keys()].sort()).toEqual(
        ['accept-knowledge-note', 'add-todo', 'open-overview', 'promote-note-to-knowledge', 'refresh', 'search-memory', 'sync-session-notes', 'sync-vault', 'write-handoff-note', 'write-knowledge-note'].map((c) => `claude-family:${c}`),
      );
      expect(app.ribbonIcons).toHaveLength(2);
      expect(app.statusBarItems).toHaveLength(1);
      expect(app.settingTabs).toHaveLength(1);
      expect(app.codeBlockProcessors.has('claude-handoff')).toBe(true);
    });

    it('shows the handoff in a claude-handoff block and updates it when a hook writes', async () => {
      const { el, ctx: block } = await renderCodeBlock(app, 'claude-handoff', `project: ${project}\nsections: focus, next, todos`);
      await until(() => el.textContent!.includes('First todo'), 'the block to show the todos');
      expect(el.textContent).toContain('Plugin tests');
      expect(el.textContent).toContain('Ship it');
      expect(el.textContent).toContain('Doing it already');
      expect(el.querySelectorAll('input[type=checkbox]')).toHaveLength(2);

      await writer.run((db) => addTodo(db, { projectId, content: 'Written by a hook' }));
      await until(() => el.textContent!.includes('Written by a hook'), 'the block to pick up the hook write');
      await writer.run((db) => upsertSessionState(db, { projectName: project, currentFocus: 'A new focus' }));
      await until(() => el.textContent!.includes('A new focus'), 'the focus to update');
      block.unload();
      expect(plugin.blocks.size).toBe(0);
    });

    it('shows a Claude Code task waiting on another as "blocked by #N" until that one is done', async () => {
      const { el, ctx: block } = await renderCodeBlock(app, 'claude-handoff', `project: ${project}\nsections: todos`);
      await until(() => el.textContent!.includes('First todo'), 'the block');
      const listId = `list-${project}`;
      const sync = (tasks: TaskItem[]) => writer.run((db) => db.transaction((tx) => syncTaskList(tx, { projectId, sessionId, taskListId: listId, tasks })));
      await sync([
        { id: '1', subject: 'Design it', status: 'in_progress' },
        { id: '2', subject: 'Build it', status: 'pending', blockedBy: ['1'] },
      ]);
      await until(() => el.textContent!.includes('Build it'), 'the block to show the tasks');
      const blocked = () => Array.from(el.querySelectorAll('.claude-family-blocked'), (e) => e.textContent);
      expect(blocked()).toEqual(['blocked by #1']);
      await sync([
        { id: '1', subject: 'Design it', status: 'completed' },
        { id: '2', subject: 'Build it', status: 'pending', blockedBy: ['1'] },
      ]);
      await until(() => blocked().length === 0, 'the blocker to be done');
      await sync([]); // leave the project's todos as the other tests expect them
      await until(() => !el.textContent!.includes('Build it'), 'the tasks to be gone');
      block.unload();
    });

    if (backend === 'embedded') it('replays what a hook spooled while the server was down, when it connects', async () => {
      expect(spoolHasEvents(dataDir!)).toBe(false);
      const { el, ctx: block } = await renderCodeBlock(app, 'claude-handoff', `project: ${spooledProject}\nsections: todos`);
      await until(() => el.textContent!.includes('Spooled by a hook'), 'the spooled todo in the block');
      block.unload();
    });

    it('lists the messages waiting for the project in the block, and marks none read', async () => {
      await writer.run((db) => sendMessage(db, { fromProject: 'another-project', toProject: project, body: 'Please re-run migrate' }));
      const { el, ctx: block } = await renderCodeBlock(app, 'claude-handoff', `project: ${project}\nsections: messages`);
      await until(() => el.textContent!.includes('Please re-run migrate'), 'the message in the block');
      expect(el.textContent).toContain('another-project');
      expect(await writer.run((db) => countPendingMessages(db, project))).toBe(1);
      block.unload();
    });

    it('reports a bad block option by name instead of rendering', async () => {
      const { el, ctx: block } = await renderCodeBlock(app, 'claude-handoff', 'limit: many');
      await until(() => el.querySelector('.claude-family-error') !== null, 'the error');
      expect(el.textContent).toMatch(/limit/);
      block.unload();
    });

    it('checking a todo in the block completes it in the database; unchecking reopens it', async () => {
      const { el, ctx: block } = await renderCodeBlock(app, 'claude-handoff', `project: ${project}`);
      await until(() => el.textContent!.includes('First todo'), 'the block');
      const todoId = (await writer.run((db) => listActiveTodos(db, projectId))).pending.find((t) => t.content === 'First todo')!.todo_id;
      const box = () => el.querySelector<HTMLInputElement>(`li[data-todo-id="${todoId}"] input`)!;
      expect(box().checked).toBe(false);
      box().checked = true;
      box().dispatchEvent(new Event('change'));
      await until(async () => (await writer.run((db) => getTodo(db, todoId)))?.status === 'completed', 'the todo to be completed');
      await until(() => el.querySelector(`.claude-family-done li[data-todo-id="${todoId}"] input`) !== null, 'the block to show it done');
      expect(box().checked).toBe(true);

      box().checked = false;
      box().dispatchEvent(new Event('change'));
      await until(async () => (await writer.run((db) => getTodo(db, todoId)))?.status === 'pending', 'the todo to be reopened');
      block.unload();
    });

    it('syncs one note per session, idempotently, keeping what the user wrote', async () => {
      await writer.run(async (db) => {
        const todo = await addTodo(db, { projectId, content: 'Done in session one' });
        await setTodoStatus(db, { todoId: todo.todo_id, status: 'completed', sessionId });
        await closeSession(db, { sessionId, summary: 'First summary', tasksCompleted: ['Task A'], learningsGained: ['Lesson B'] });
      });
      await app.executeCommandById('claude-family:sync-session-notes');
      const notes = app.vault.getMarkdownFiles().filter((f) => f.path.startsWith('Claude/Sessions/') && f.path.includes(project));
      expect(notes).toHaveLength(1);
      const path = notes[0]!.path;
      expect(path).toMatch(new RegExp(`^Claude/Sessions/\\d{4}-\\d{2}-\\d{2} ${project} ${sessionId.slice(0, 8)}\\.md$`));
      const first = app.vault.contents.get(path)!;
      const { data, body } = parseNote(first);
      expect(data).toMatchObject({ session_id: sessionId, project, tasks_completed: ['Task A'], learnings: ['Lesson B'] });
      expect(typeof data.end).toBe('string');
      expect(body).toContain('First summary');
      expect(body).toContain('- ✓ Done in session one');

      // Unchanged data: not rewritten.
      const writes = app.vault.writes.get(path);
      await app.executeCommandById('claude-family:sync-session-notes');
      expect(app.vault.writes.get(path)).toBe(writes);

      // The user adds notes and a frontmatter key; the summary changes in the database.
      await app.vault.modify(notes[0]!, first.replace(END_MARKER, `${END_MARKER}\n\nMy own reflections.`).replace('---\n', '---\nrating: 4\n'));
      await writer.run((db) => closeSession(db, { sessionId, summary: 'Better summary' }));
      await app.executeCommandById('claude-family:sync-session-notes');
      const later = app.vault.contents.get(path)!;
      expect(later).toContain('Better summary');
      expect(later).not.toContain('First summary');
      expect(later).toContain('My own reflections.');
      expect(parseNote(later).data.rating).toBe(4);
      expect(notices.at(-1)).toMatch(/session notes: 0 created, 1 updated/);
    });

    it('writes the handoff note, and rewrites it only when the handoff changed', async () => {
      await app.executeCommandById('claude-family:write-handoff-note');
      const path = `Claude/Handoff/Handoff ${project}.md`;
      const text = app.vault.contents.get(path);
      expect(text).toBeDefined();
      expect(parseNote(text!).data).toMatchObject({ project, in_progress: 1 });
      expect(text).toContain('A new focus');
      await app.executeCommandById('claude-family:write-handoff-note');
      expect(app.vault.writes.get(path)).toBe(1);
      expect(notices.at(-1)).toMatch(/is up to date/);
      await writer.run((db) => addTodo(db, { projectId, content: 'Makes the note change' }));
      await app.executeCommandById('claude-family:write-handoff-note');
      expect(app.vault.writes.get(path)).toBe(2);
      expect(app.vault.contents.get(path)).toContain('Makes the note change');
    });

    it('adds a todo from the modal, validated like the hooks', async () => {
      await app.executeCommandById('claude-family:add-todo');
      const modal = openModals.at(-1) as unknown as AddTodoModal;
      expect(modal.project).toBe(project);
      modal.content = '   ';
      await modal.save();
      expect(notices.at(-1)).toMatch(/todo not added: invalid todo: content: must not be empty/);
      expect(openModals).toContain(modal);
      modal.content = 'Added in Obsidian';
      modal.priority = 1;
      await modal.save();
      expect(openModals).not.toContain(modal);
      const active = await writer.run((db) => listActiveTodos(db, projectId));
      expect(active.pending.find((t) => t.content === 'Added in Obsidian')?.priority).toBe(1);
    });

    it('promotes a note into claude.knowledge, and a second promotion updates it', async () => {
      const name = uniqueProject('pattern');
      const file = await app.vault.seed(`Ideas/${name}.md`, `---\ncategory: testing\nconfidence_level: 6\ngotchas:\n  - One\n---\nCheck both backends.\n`);
      app.workspace.activeFile = file;
      expect(app.isCommandAvailable('claude-family:promote-note-to-knowledge')).toBe(true);
      await app.executeCommandById('claude-family:promote-note-to-knowledge');
      await until(() => app.metadataCache.getFileCache(file)?.frontmatter?.knowledge_id !== undefined, 'knowledge_id in the frontmatter');
      const id = app.metadataCache.getFileCache(file)!.frontmatter!.knowledge_id as string;
      const row = await writer.run((db) => getKnowledge(db, id));
      expect(row).toMatchObject({ pattern_name: name, category: 'testing', confidence_level: 6, gotchas: ['One'], description: 'Check both backends.', source_note_path: file.path });
      expect(notices.at(-1)).toMatch(/added to knowledge/);

      await app.vault.modify(file, app.vault.contents.get(file.path)!.replace('confidence_level: 6', 'confidence_level: 9'));
      await app.executeCommandById('claude-family:promote-note-to-knowledge');
      await until(() => /updated in knowledge/.test(notices.at(-1) ?? ''), 'the second promotion');
      const again = await writer.run((db) => findKnowledgeByName(db, name));
      expect(again?.knowledge_id).toBe(id);
      expect(again?.confidence_level).toBe(9);

      await app.vault.modify(file, app.vault.contents.get(file.path)!.replace('confidence_level: 9', 'confidence_level: eleven'));
      await app.executeCommandById('claude-family:promote-note-to-knowledge');
      await until(() => /not promoted/.test(notices.at(-1) ?? ''), 'the validation notice');
      expect(notices.at(-1)).toMatch(/confidence_level/);
      expect((await writer.run((db) => getKnowledge(db, id)))?.confidence_level).toBe(9);
    });

    it('writes a chosen knowledge entry into the vault as a note', async () => {
      await app.executeCommandById('claude-family:write-knowledge-note');
      const modal = openModals.at(-1) as unknown as KnowledgeSuggestModal;
      const [match] = modal.getSuggestions('testing: pattern');
      expect(match).toBeDefined();
      modal.selectSuggestion(match!, new MouseEvent('click'));
      const path = `Claude/Knowledge/${match!.item.pattern_name}.md`;
      await until(() => app.vault.contents.has(path), 'the knowledge note');
      expect(parseNote(app.vault.contents.get(path)!).data).toMatchObject({ knowledge_id: match!.item.knowledge_id, category: 'testing' });
    });

    it('shows the active session and todo counts in the status bar', async () => {
      await writer.run((db) => openSession(db, { projectName: project, claudeSessionId: `${project}-s2` }));
      await plugin.statusBar.refresh();
      const counts = await writer.run(async (db) => listActiveTodos(db, (await getProjectByName(db, project))!.project_id));
      expect(app.statusBarItems[0]!.textContent).toBe(
        `Claude ${project}: 1 active session · ${counts.inProgress.length} in progress, ${counts.pending.length} pending`,
      );
    });

    it('tests the connection from the settings tab', async () => {
      const tab = app.settingTabs[0] as unknown as ClaudeFamilySettingTab;
      tab.display();
      expect(await tab.testConnection()).toMatch(/^Connected to .*: \d+ projects?\.$/);
      expect(tab.testResultEl!.className).toContain('claude-family-ok');
    });

    it('skips a hidden block when the data changes and refreshes it once it is shown', async () => {
      const { el, ctx: block } = await renderCodeBlock(app, 'claude-handoff', `project: ${project}\nsections: todos\nlimit: 100`);
      await until(() => el.textContent!.includes('First todo'), 'the block');
      el.style.display = 'none'; // a background tab
      await writer.run((db) => addTodo(db, { projectId, content: 'Added while hidden' }));
      const child = block.children[0] as unknown as HandoffBlockChild;
      await until(() => child.stale, 'the hidden block to go stale');
      expect(el.textContent).not.toContain('Added while hidden');
      el.style.display = '';
      app.workspace.trigger('layout-change');
      await until(() => el.textContent!.includes('Added while hidden'), 'the block to refresh once shown');
      block.unload();
    });

    it('rewrites the handoff note by itself when a hook writes, keeping the user\'s frontmatter and text byte for byte', async () => {
      const path = `Claude/Handoff/Handoff ${project}.md`;
      const file = app.vault.getFileByPath(path)!;
      // The user's own frontmatter keys (a date, a flow list, a comment, quoting) and text outside the markers.
      const userKeys = ["created: 2024-05-01", "tags: [work, claude]  # mine", "# a comment", "title: 'It''s mine'"].join('\n');
      await app.vault.modify(file, app.vault.contents.get(path)!.replace('---\n', `---\n${userKeys}\n`) + '\nMy own notes below.\n');
      const processed = app.vault.processed;
      await plugin.updateSettings({ autoWriteNotes: true });
      await writer.run((db) => addTodo(db, { projectId, content: 'Written while the note is live' }));
      await until(() => app.vault.contents.get(path)!.includes('Written while the note is live'), 'the handoff note to update itself');
      const text = app.vault.contents.get(path)!;
      expect(text.startsWith(`---\n${userKeys}\n`)).toBe(true);
      expect(text.endsWith('\nMy own notes below.\n')).toBe(true);
      expect(app.vault.processed).toBeGreaterThan(processed); // written with vault.process
      // Todos are shown, not offered as checkboxes that would only change the file.
      expect(text).toContain('- ○ Written while the note is live');
      expect(text).not.toMatch(/^- \[[ x/]\]/m);

      // Nothing changed: not written again.
      const writes = app.vault.writes.get(path);
      plugin.liveNotes.onChange(undefined);
      await plugin.liveNotes.flush();
      expect(app.vault.writes.get(path)).toBe(writes);

      // An edit inside the generated part is replaced by the database's state, and the user is told.
      await app.vault.modify(file, app.vault.contents.get(path)!.replace('Written while the note is live', 'Ticked by hand'));
      await writer.run((db) => addTodo(db, { projectId, content: 'One more live todo' }));
      await until(() => notices.some((n) => n.includes(`${path} was rewritten from the database`)), 'the notice about the replaced edit');
      expect(app.vault.contents.get(path)).not.toContain('Ticked by hand');
    });

    it('writes a session note when a session ends, without a command; a session with nothing recorded gets none', async () => {
      const { session } = await writer.run((db) => openSession(db, { projectName: project, claudeSessionId: `${project}-live` }));
      await writer.run((db) => closeSession(db, { sessionId: session.session_id, summary: 'Ended while Obsidian watched', learningsGained: ['Live notes work'] }));
      const notePath = () => app.vault.getMarkdownFiles().find((f) => f.path.startsWith('Claude/Sessions/') && f.path.includes(session.session_id.slice(0, 8)))?.path;
      await until(() => notePath() !== undefined && app.vault.contents.get(notePath()!)!.includes('Ended while Obsidian watched'), 'the session note');
      expect(parseNote(app.vault.contents.get(notePath()!)!).data).toMatchObject({ session_id: session.session_id, learnings: ['Live notes work'] });
      // The session the status bar test opened has no end, summary, tasks or learnings: no note of its own.
      const open = await writer.run(async (db) => (await listSessions(db, project, { limit: 10 })).find((s) => s.claude_session_id === `${project}-s2`)!);
      expect(app.vault.getMarkdownFiles().some((f) => f.path.includes(open.session_id.slice(0, 8)))).toBe(false);
    });

    it('writes nothing by itself when automatic writing is off', async () => {
      await plugin.updateSettings({ autoWriteNotes: false });
      const path = `Claude/Handoff/Handoff ${project}.md`;
      const writes = app.vault.writes.get(path);
      await writer.run((db) => addTodo(db, { projectId, content: 'Not written automatically' }));
      plugin.liveNotes.onChange(undefined);
      await plugin.liveNotes.flush();
      expect(app.vault.writes.get(path)).toBe(writes);
      await app.executeCommandById('claude-family:write-handoff-note');
      expect(app.vault.contents.get(path)).toContain('Not written automatically');
    });

    it('says in the status bar why it is offline, and a click opens the settings', async () => {
      const el = app.statusBarItems[0]!;
      await plugin.updateSettings(backend === 'postgres' ? { connectionString: 'postgres://cf@127.0.0.1:1/nowhere' } : { mode: 'postgres', connectionString: '' });
      await plugin.statusBar.refresh();
      expect(el.textContent).toBe(backend === 'postgres' ? 'Claude: offline, server not running' : 'Claude: offline, not configured');
      el.click();
      expect(notices.at(-1)).toMatch(/open the settings/);
      // Obsidian's settings modal is not in obsidian.d.ts; where it exists, the click opens the plugin's tab.
      const opened: string[] = [];
      (app as unknown as { setting: unknown }).setting = { open: () => opened.push('open'), openTabById: (id: string) => opened.push(id) };
      el.click();
      expect(opened).toEqual(['open', 'claude-family']);
      delete (app as unknown as { setting?: unknown }).setting;
      await plugin.updateSettings(base);
      await plugin.statusBar.refresh();
      expect(el.textContent).toMatch(new RegExp(`^Claude ${project}: `));
    });

    if (backend === 'postgres') it('keeps the password out of data.json: typed into the field, it moves into secret storage', async () => {
      const saves: unknown[] = [];
      const fake = plugin as unknown as FakePlugin;
      const save = fake.saveData.bind(fake);
      fake.saveData = async (data: unknown) => {
        saves.push(structuredClone(data));
        await save(data);
      };
      const tab = app.settingTabs[0] as unknown as ClaudeFamilySettingTab;
      tab.display();
      const field = tab.containerEl.querySelector<HTMLInputElement>('input[type=text]')!;
      expect(field.value).toBe(base.connectionString);
      const typed = 'postgres://cf:s3cret@127.0.0.1:1/nowhere';
      let reconnects = 0;
      const reconnect = plugin.reconnect.bind(plugin);
      plugin.reconnect = async () => {
        reconnects += 1;
        await reconnect();
      };
      // One character at a time, as a user types.
      for (let i = 1; i <= typed.length; i += 1) {
        field.value = typed.slice(0, i);
        field.dispatchEvent(new Event('input'));
      }
      expect(saves).toHaveLength(0);
      expect(reconnects).toBe(0);
      await until(() => saves.length > 0, 'the save after the pause in typing');
      await new Promise((r) => setTimeout(r, 1000));
      expect(saves).toHaveLength(1);
      expect(reconnects).toBe(1);
      expect(JSON.stringify(fake.data)).not.toContain('s3cret');
      expect(JSON.stringify(saves)).not.toContain('s3cret');
      expect(plugin.settings).toMatchObject({ connectionString: 'postgres://cf@127.0.0.1:1/nowhere', passwordSecret: 'claude-family-postgres-password' });
      expect(app.secretStorage.getSecret('claude-family-postgres-password')).toBe('s3cret');
      expect(field.value).not.toContain('s3cret');
      const result = await tab.testConnection();
      expect(result).toMatch(/nothing is listening at the Postgres address/);
      expect(result).not.toContain('s3cret');
      expect(tab.containerEl.innerHTML).not.toContain('s3cret');
      fake.saveData = save;
      plugin.reconnect = reconnect;
      await plugin.updateSettings({ ...base, passwordSecret: '' });
    });

    if (backend === 'postgres') it('moves a password an older data.json kept into secret storage on first load, and connects with it', async () => {
      const withPw = new URL(ctx().url!);
      withPw.password = 'old-pass'; // trust auth: accepted, and it shows the secret is what gets used
      const other = new App();
      const older = new ClaudeFamilyPlugin(other as unknown as O.App, manifest);
      (older as unknown as FakePlugin).data = { mode: 'postgres', connectionString: withPw.toString(), projects: project, refreshSeconds: 3600 };
      const before = notices.length;
      await other.enablePlugin(older);
      try {
        const data = (older as unknown as FakePlugin).data as Record<string, unknown>;
        expect(JSON.stringify(data)).not.toContain('old-pass');
        expect(data.passwordSecret).toBe('claude-family-postgres-password');
        expect(other.secretStorage.getSecret('claude-family-postgres-password')).toBe('old-pass');
        expect(notices.slice(before).some((n) => /password was moved out of the plugin's data\.json into Obsidian's secret storage/.test(n))).toBe(true);
        expect(await older.connection.test()).toMatch(/^Connected to /);
      } finally {
        older.unload();
        await older.connection.close();
      }
    });
  },
);
