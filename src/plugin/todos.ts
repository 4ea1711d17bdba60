// Adding a todo from Obsidian: a small modal, validated with the same zod model the hooks use.
import { Modal, Setting, type App } from 'obsidian';
import { NewTodoInput, ProjectName, parseInput, type TodoRow } from '../core/models.js';
import { ensureProject } from '../core/repos/projects.js';
import { addTodo } from '../core/repos/todos.js';
import type { Connection } from './connection.js';

export interface NewTodo {
  project: string;
  content: string;
  priority: number;
}

/** Validates (NewTodoInput, as the hooks do) and adds the todo; the project is created when new. */
export async function addTodoToProject(connection: Connection, todo: NewTodo): Promise<TodoRow> {
  const project = parseInput(ProjectName, todo.project, 'project');
  // Validate before touching the database, with a placeholder id: the real one comes from ensureProject.
  parseInput(NewTodoInput, { projectId: '00000000-0000-4000-8000-000000000000', content: todo.content, priority: todo.priority }, 'todo');
  return connection.run((db) =>
    db.transaction(async (tx) => {
      const row = await ensureProject(tx, project);
      return addTodo(tx, { projectId: row.project_id, content: todo.content, priority: todo.priority });
    }),
  );
}

export class AddTodoModal extends Modal {
  content = '';
  priority = 3;

  constructor(
    app: App,
    public project: string,
    private readonly submit: (todo: NewTodo) => Promise<boolean>,
  ) {
    super(app);
  }

  override onOpen(): void {
    this.titleEl.textContent = 'Add a Claude todo';
    this.contentEl.replaceChildren();
    new Setting(this.contentEl).setName('Project').addText((t) => t.setValue(this.project).onChange((v) => (this.project = v)));
    new Setting(this.contentEl).setName('Todo').addText((t) => t.setPlaceholder('What needs doing').onChange((v) => (this.content = v)));
    new Setting(this.contentEl)
      .setName('Priority')
      .setDesc('Priority 1 is the most urgent')
      .addDropdown((d) => d.addOptions({ 1: '1', 2: '2', 3: '3', 4: '4', 5: '5' }).setValue(String(this.priority)).onChange((v) => (this.priority = Number(v))));
    new Setting(this.contentEl).addButton((b) => b.setButtonText('Add').setCta().onClick(() => void this.save()));
  }

  async save(): Promise<void> {
    if (await this.submit({ project: this.project, content: this.content, priority: this.priority })) this.close();
  }

  override onClose(): void {
    this.contentEl.replaceChildren();
  }
}
