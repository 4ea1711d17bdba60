// The migrations shipped with this build, in order. Every file in migrations/ must be listed here
// (test/migrate.test.ts checks that), so the plugin bundle and the hooks carry the same schema.
import m001 from '../../../migrations/001_core_schema.sql';
import m002 from '../../../migrations/002_change_notify.sql';
import m003 from '../../../migrations/003_todo_order_index.sql';
import m004 from '../../../migrations/004_task_tools.sql';
import m005 from '../../../migrations/005_search.sql';
import m006 from '../../../migrations/006_knowledge_vault.sql';
import m007 from '../../../migrations/007_overview.sql';
import m008 from '../../../migrations/008_knowledge_prompt_index.sql';
import m009 from '../../../migrations/009_knowledge_scope_index.sql';

export interface MigrationFile {
  /** File name, e.g. "001_core_schema.sql"; the number before the underscore orders them. */
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly MigrationFile[] = [
  { name: '001_core_schema.sql', sql: m001 },
  { name: '002_change_notify.sql', sql: m002 },
  { name: '003_todo_order_index.sql', sql: m003 },
  { name: '004_task_tools.sql', sql: m004 },
  { name: '005_search.sql', sql: m005 },
  { name: '006_knowledge_vault.sql', sql: m006 },
  { name: '007_overview.sql', sql: m007 },
  { name: '008_knowledge_prompt_index.sql', sql: m008 },
  { name: '009_knowledge_scope_index.sql', sql: m009 },
];
