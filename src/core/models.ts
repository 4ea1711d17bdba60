import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// Shared field shapes
// ---------------------------------------------------------------------------------------------

export const Uuid = z.uuid();
/** Non-empty after trimming; the trimmed text is what is stored. */
export const Text = (max = 10_000) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
export const ProjectName = Text(200);
export const TextList = z.array(Text()).max(1000);

export const TODO_STATUSES = ['pending', 'in_progress', 'completed'] as const;
export const TodoStatus = z.enum(TODO_STATUSES);
export type TodoStatus = z.infer<typeof TodoStatus>;
export const Priority = z.number().int().min(1).max(5);
export const ConfidenceLevel = z.number().int().min(1).max(10);
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
  claude_session_id: z.string().nullable(),
  session_start: z.date(),
  session_end: z.date().nullable(),
  session_summary: z.string().nullable(),
  tasks_completed: z.array(z.string()),
  learnings_gained: z.array(z.string()),
});
export type SessionRow = z.infer<typeof SessionRow>;

export const SessionStateRow = z.object({
  project_name: z.string(),
  current_focus: z.string().nullable(),
  pending_actions: z.array(z.string()),
  next_steps: z.array(z.unknown()),
  files_modified: z.array(z.string()),
  todo_list: z.unknown().nullable(),
  updated_at: z.date(),
});
export type SessionStateRow = z.infer<typeof SessionStateRow>;

export const TodoRow = z.object({
  todo_id: Uuid,
  project_id: Uuid,
  created_session_id: Uuid.nullable(),
  completed_session_id: Uuid.nullable(),
  content: z.string(),
  active_form: z.string(),
  status: TodoStatus,
  priority: z.number().int(),
  display_order: z.number().int(),
  is_deleted: z.boolean(),
  created_at: z.date(),
  updated_at: z.date(),
  completed_at: z.date().nullable(),
  deleted_at: z.date().nullable(),
  source_message_id: Uuid.nullable(),
  synced_session_id: Uuid.nullable(),
});
export type TodoRow = z.infer<typeof TodoRow>;

export const KnowledgeRow = z.object({
  knowledge_id: Uuid,
  pattern_name: z.string(),
  category: z.string(),
  description: z.string(),
  example_code: z.string().nullable(),
  gotchas: z.array(z.string()),
  confidence_level: z.number().int(),
  source_note_path: z.string().nullable(),
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
  read_at: z.date().nullable(),
});
export type MessageRow = z.infer<typeof MessageRow>;

export const McpUsageRow = z.object({
  usage_id: Uuid,
  mcp_server: z.string(),
  tool_name: z.string(),
  session_id: Uuid.nullable(),
  claude_session_id: z.string().nullable(),
  success: z.boolean(),
  duration_ms: z.number().int().nullable(),
  error: z.string().nullable(),
  called_at: z.date(),
});
export type McpUsageRow = z.infer<typeof McpUsageRow>;

// ---------------------------------------------------------------------------------------------
// Inputs: everything a hook, the CLI or the plugin asks a repository to write
// ---------------------------------------------------------------------------------------------

export const OpenSessionInput = z.object({
  projectName: ProjectName,
  /** Claude Code's session id; opening the same one twice resumes the existing row. */
  claudeSessionId: Text(200).optional(),
  startedAt: z.date().optional(),
});
export type OpenSessionInput = z.input<typeof OpenSessionInput>;

export const CloseSessionInput = z.object({
  sessionId: Uuid,
  summary: Text(20_000).optional(),
  tasksCompleted: TextList.default([]),
  learningsGained: TextList.default([]),
  endedAt: z.date().optional(),
});
export type CloseSessionInput = z.input<typeof CloseSessionInput>;

/** A partial update: only the fields given change. */
export const SessionStateInput = z.object({
  projectName: ProjectName,
  currentFocus: Text().nullable().optional(),
  pendingActions: TextList.optional(),
  nextSteps: TextList.optional(),
  filesModified: z.array(Text(4096)).max(10_000).optional(),
});
export type SessionStateInput = z.input<typeof SessionStateInput>;

export const NewTodoInput = z.object({
  projectId: Uuid,
  content: Text(),
  activeForm: Text().optional(),
  status: TodoStatus.default('pending'),
  priority: Priority.default(3),
  displayOrder: z.number().int().default(0),
  createdSessionId: Uuid.optional(),
  sourceMessageId: Uuid.optional(),
});
export type NewTodoInput = z.input<typeof NewTodoInput>;

export const SetTodoStatusInput = z.object({
  todoId: Uuid,
  status: TodoStatus,
  /** The session making the change: recorded as completed_session_id on completion. */
  sessionId: Uuid.optional(),
});
export type SetTodoStatusInput = z.input<typeof SetTodoStatusInput>;

export const KnowledgeInput = z.object({
  knowledgeId: Uuid.optional(),
  patternName: Text(300),
  category: Text(100),
  description: Text(50_000),
  exampleCode: z.string().max(100_000).nullable().optional(),
  gotchas: TextList.default([]),
  confidenceLevel: ConfidenceLevel.default(5),
  sourceNotePath: Text(4096).nullable().optional(),
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
  sessionId: Uuid.nullable().optional(),
  claudeSessionId: Text(200).nullable().optional(),
  success: z.boolean(),
  durationMs: z.number().int().min(0).nullable().optional(),
  error: z.string().max(10_000).nullable().optional(),
  calledAt: z.date().optional(),
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
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(
    what,
    result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
  );
}
