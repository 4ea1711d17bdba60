// zod/mini rather than classic zod: the same validation, but a tenth of the code to load, which
// matters for hooks that start a Node process on every Claude Code tool call (see bench/).
import en from 'zod/v4/locales/en.js';
import * as z from 'zod/mini';

// English messages ("Invalid option: expected one of ...") instead of mini's bare "Invalid input";
// imported alone so the bundle does not carry every other locale.
z.config(en());

// ---------------------------------------------------------------------------------------------
// Shared field shapes
// ---------------------------------------------------------------------------------------------

export const Uuid = z.uuid();
/** Postgres text cannot hold NUL (U+0000): a value containing one is refused here, naming the field, not by the database. */
export const NO_NUL_MESSAGE = 'must not contain NUL characters (\\u0000)';
export const noNul = () => z.refine<string>((s) => !s.includes('\u0000'), NO_NUL_MESSAGE);
/** Non-empty after trimming, without NUL characters; the trimmed text is what is stored. */
export const Text = (max = 10_000) =>
  z.string().check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(max, `must be at most ${max} characters`), noNul());
export const ProjectName = Text(200);
export const TextList = z.array(Text()).check(z.maxLength(1000));

export const TODO_STATUSES = ['pending', 'in_progress', 'completed'] as const;
export const TodoStatus = z.enum(TODO_STATUSES);
export type TodoStatus = z.infer<typeof TodoStatus>;
export const Priority = z.int().check(z.gte(1), z.lte(5));
export const ConfidenceLevel = z.int().check(z.gte(1), z.lte(10));
export const MESSAGE_STATUSES = ['pending', 'read', 'archived'] as const;
export const MessageStatus = z.enum(MESSAGE_STATUSES);

// ---------------------------------------------------------------------------------------------
// Rows, as both backends return them (timestamps as Date, text[] as arrays, jsonb parsed)
// ---------------------------------------------------------------------------------------------

export const ProjectRow = z.object({
  project_id: Uuid,
  project_name: z.string(),
  created_at: z.date(),
});
export type ProjectRow = z.infer<typeof ProjectRow>;

export const SessionRow = z.object({
  session_id: Uuid,
  project_id: Uuid,
  claude_session_id: z.nullable(z.string()),
  session_start: z.date(),
  session_end: z.nullable(z.date()),
  session_summary: z.nullable(z.string()),
  tasks_completed: z.array(z.string()),
  learnings_gained: z.array(z.string()),
});
export type SessionRow = z.infer<typeof SessionRow>;

export const SessionStateRow = z.object({
  project_name: z.string(),
  current_focus: z.nullable(z.string()),
  pending_actions: z.array(z.string()),
  next_steps: z.array(z.unknown()),
  files_modified: z.array(z.string()),
  todo_list: z.nullable(z.unknown()),
  updated_at: z.date(),
});
export type SessionStateRow = z.infer<typeof SessionStateRow>;

export const TodoRow = z.object({
  todo_id: Uuid,
  project_id: Uuid,
  created_session_id: z.nullable(Uuid),
  completed_session_id: z.nullable(Uuid),
  content: z.string(),
  active_form: z.string(),
  status: TodoStatus,
  priority: z.int(),
  display_order: z.int(),
  is_deleted: z.boolean(),
  created_at: z.date(),
  updated_at: z.date(),
  completed_at: z.nullable(z.date()),
  deleted_at: z.nullable(z.date()),
  source_message_id: z.nullable(Uuid),
  synced_session_id: z.nullable(Uuid),
  /** Claude Code's Task tools: the task list and the task's id in it (both null for other todos). */
  task_list_id: z.nullable(z.string()),
  task_id: z.nullable(z.string()),
  /** Ids, in the same task list, of the tasks this one waits for. */
  blocked_by: z.array(z.string()),
});
export type TodoRow = z.infer<typeof TodoRow>;

export const KnowledgeRow = z.object({
  knowledge_id: Uuid,
  pattern_name: z.string(),
  category: z.string(),
  description: z.string(),
  example_code: z.nullable(z.string()),
  gotchas: z.array(z.string()),
  confidence_level: z.int(),
  source_note_path: z.nullable(z.string()),
  created_at: z.date(),
  updated_at: z.date(),
});
export type KnowledgeRow = z.infer<typeof KnowledgeRow>;

export const MessageRow = z.object({
  message_id: Uuid,
  from_project: z.string(),
  to_project: z.string(),
  body: z.string(),
  status: MessageStatus,
  created_at: z.date(),
  read_at: z.nullable(z.date()),
});
export type MessageRow = z.infer<typeof MessageRow>;

export const McpUsageRow = z.object({
  usage_id: Uuid,
  mcp_server: z.string(),
  tool_name: z.string(),
  session_id: z.nullable(Uuid),
  claude_session_id: z.nullable(z.string()),
  success: z.boolean(),
  duration_ms: z.nullable(z.int()),
  error: z.nullable(z.string()),
  called_at: z.date(),
});
export type McpUsageRow = z.infer<typeof McpUsageRow>;

// ---------------------------------------------------------------------------------------------
// Inputs: everything a hook, the CLI or the plugin asks a repository to write
// ---------------------------------------------------------------------------------------------

export const OpenSessionInput = z.object({
  projectName: ProjectName,
  /** Claude Code's session id; opening the same one twice resumes the existing row. */
  claudeSessionId: z.optional(Text(200)),
  startedAt: z.optional(z.date()),
});
export type OpenSessionInput = z.input<typeof OpenSessionInput>;

export const CloseSessionInput = z.object({
  sessionId: Uuid,
  summary: z.optional(Text(20_000)),
  tasksCompleted: z._default(TextList, []),
  learningsGained: z._default(TextList, []),
  endedAt: z.optional(z.date()),
});
export type CloseSessionInput = z.input<typeof CloseSessionInput>;

/** A partial update: only the fields given change. */
export const SessionStateInput = z.object({
  projectName: ProjectName,
  currentFocus: z.optional(z.nullable(Text())),
  pendingActions: z.optional(TextList),
  nextSteps: z.optional(TextList),
  filesModified: z.optional(z.array(Text(4096)).check(z.maxLength(10_000))),
});
export type SessionStateInput = z.input<typeof SessionStateInput>;

export const NewTodoInput = z.object({
  projectId: Uuid,
  content: Text(),
  activeForm: z.optional(Text()),
  status: z._default(TodoStatus, 'pending'),
  priority: z._default(Priority, 3),
  displayOrder: z._default(z.int(), 0),
  createdSessionId: z.optional(Uuid),
  sourceMessageId: z.optional(Uuid),
});
export type NewTodoInput = z.input<typeof NewTodoInput>;

export const SetTodoStatusInput = z.object({
  todoId: Uuid,
  status: TodoStatus,
  /** The session making the change: recorded as completed_session_id on completion. */
  sessionId: z.optional(Uuid),
});
export type SetTodoStatusInput = z.input<typeof SetTodoStatusInput>;

export const KnowledgeInput = z.object({
  knowledgeId: z.optional(Uuid),
  patternName: Text(300),
  category: Text(100),
  description: Text(50_000),
  exampleCode: z.optional(z.nullable(z.string().check(z.maxLength(100_000), noNul()))),
  gotchas: z._default(TextList, []),
  confidenceLevel: z._default(ConfidenceLevel, 5),
  sourceNotePath: z.optional(z.nullable(Text(4096))),
});
export type KnowledgeInput = z.input<typeof KnowledgeInput>;

export const MessageInput = z.object({
  fromProject: ProjectName,
  toProject: ProjectName,
  body: Text(20_000),
});
export type MessageInput = z.input<typeof MessageInput>;

export const McpUsageInput = z.object({
  mcpServer: Text(200),
  toolName: Text(200),
  sessionId: z.optional(z.nullable(Uuid)),
  claudeSessionId: z.optional(z.nullable(Text(200))),
  success: z.boolean(),
  durationMs: z.optional(z.nullable(z.int().check(z.gte(0)))),
  error: z.optional(z.nullable(z.string().check(z.maxLength(10_000), noNul()))),
  calledAt: z.optional(z.date()),
});
export type McpUsageInput = z.input<typeof McpUsageInput>;

// ---------------------------------------------------------------------------------------------
// Validation errors that name the field
// ---------------------------------------------------------------------------------------------

export class ValidationError extends Error {
  constructor(
    readonly what: string,
    readonly issues: { path: string; message: string }[],
  ) {
    super(`invalid ${what}: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`);
    this.name = 'ValidationError';
  }
}

/** Parses `value` with `schema`, or throws a ValidationError naming each bad field. */
export function parseInput<S extends z.ZodMiniType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(
    what,
    result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
  );
}
