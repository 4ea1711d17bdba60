// The relevance table's prompts (test/fixtures/relevance-vault): prompts aimed at one note each, prompts
// that need no knowledge at all, and prompts asked in a project whose matching notes belong to another.

export interface AimedPrompt {
  project: string;
  prompt: string;
  /** The note's title: it must be among the entries delivered (hit@3). */
  expect: string;
}

export interface CrossProjectPrompt {
  /** The project the prompt is asked in. */
  project: string;
  prompt: string;
  /** The project whose notes match: none of them may be delivered. */
  belongsTo: string;
}

export const AIMED: readonly AimedPrompt[] = [
  { project: 'claude-family', prompt: 'how do I end a session and save state for the next one?', expect: 'Session Lifecycle - Session End' },
  { project: 'claude-family', prompt: 'where does SessionStart load the todos from for the handoff?', expect: 'Session Handoff - Database Approach' },
  { project: 'claude-family', prompt: 'I need to add a new column to the schema, what are the steps for a migration?', expect: 'Adding a database migration' },
  { project: 'claude-family', prompt: 'the spool lock looks stale after a crash, how do I clear it?', expect: 'Recovering a stale spool lock' },
  { project: 'claude-family', prompt: 'postgres refuses to start: unix socket path is too long', expect: 'Embedded Postgres socket path too long' },
  { project: 'claude-family', prompt: 'how do I publish a new release of the obsidian plugin?', expect: 'Releasing the Obsidian plugin' },
  { project: 'claude-family', prompt: 'LISTEN stopped working behind pgbouncer, why?', expect: 'PgBouncer transaction mode and prepared statements' },
  { project: 'claude-family', prompt: 'write a test that runs on both the system postgres and the embedded backend', expect: 'Writing a database test for both backends' },
  { project: 'billing-api', prompt: 'a stripe webhook failed yesterday, how can I replay it now?', expect: 'Replaying a failed Stripe webhook' },
  { project: 'billing-api', prompt: 'the Stripe-Signature check fails on every webhook request', expect: 'Stripe webhook signature fails behind the proxy' },
  { project: 'billing-api', prompt: 'a customer wants part of their money back, how do I refund part of a charge?', expect: 'Issuing a partial refund' },
  { project: 'billing-api', prompt: 'we got a chargeback on an invoice, what evidence do we submit?', expect: 'Handling a chargeback dispute' },
  { project: 'billing-api', prompt: 'retry got ERROR 40001 could not serialize access in the ledger write', expect: 'Serializable transactions retry on 40001' },
  { project: 'billing-api', prompt: 'the invoice is stuck as draft and will not finalize', expect: 'Debugging a stuck invoice in draft' },
  { project: 'billing-api', prompt: 'how do I forward stripe events to my laptop for local testing?', expect: 'Testing webhooks locally with the Stripe CLI' },
  { project: 'mobile-app', prompt: 'how do I get a new iOS build onto TestFlight?', expect: 'Submitting an iOS build to TestFlight' },
  { project: 'mobile-app', prompt: 'my babel config change has no effect, metro still serves old code', expect: 'Metro bundler cache after changing babel config' },
  { project: 'mobile-app', prompt: 'push notifications are not shown at all on Android 13 devices', expect: 'Push notification permission on Android 13' },
  { project: 'mobile-app', prompt: 'run the detox e2e tests on the iOS simulator', expect: 'Running the Detox end-to-end tests' },
  { project: 'mobile-app', prompt: 'can we ship this javascript fix over the air without store review?', expect: 'Shipping an over-the-air update' },
  { project: 'mobile-app', prompt: 'App Store Connect rejected the build for a missing privacy manifest', expect: 'iOS privacy manifest required' },
  { project: 'data-pipeline', prompt: 'I changed the logic of an incremental dbt model, how do I backfill it?', expect: 'Backfilling a dbt incremental model' },
  { project: 'data-pipeline', prompt: 'an airflow task failed overnight, how do I rerun it with its downstream tasks?', expect: 'Rerunning a failed Airflow task' },
  { project: 'data-pipeline', prompt: 'someone dropped the fct_orders table in snowflake by mistake, can we restore it?', expect: 'Restoring a dropped warehouse table' },
  { project: 'data-pipeline', prompt: 'pandas turns my id column into floats when reading the csv', expect: 'Pandas reads IDs as floats' },
  { project: 'data-pipeline', prompt: 'the spark job writes thousands of tiny parquet files', expect: 'Spark small files problem' },
  { project: 'billing-api', prompt: 'how should I write the commit message for this fix?', expect: 'Writing a good commit message' },
  { project: 'mobile-app', prompt: 'rebase my branch onto main and push it safely', expect: 'Rebasing a branch onto main' },
  { project: 'data-pipeline', prompt: 'this query is slow, how do I read the postgres explain plan?', expect: 'Reading a Postgres query plan' },
];

/** Prompts that need no knowledge: at most one of them may get anything. */
export const QUIET: readonly { project: string; prompt: string }[] = [
  { project: 'claude-family', prompt: 'ok' },
  { project: 'billing-api', prompt: 'thanks!' },
  { project: 'mobile-app', prompt: 'run it again' },
  { project: 'data-pipeline', prompt: 'rename x to count' },
  { project: 'claude-family', prompt: 'yes, do that' },
  { project: 'billing-api', prompt: 'looks good, commit it' },
  { project: 'mobile-app', prompt: 'continue' },
  { project: 'data-pipeline', prompt: 'what does this function return?' },
  { project: 'claude-family', prompt: 'fix the typo on line 3' },
  { project: 'billing-api', prompt: 'make the error message shorter' },
];

/** Asked in one project, matching notes of another: none of those may be delivered. */
export const CROSS_PROJECT: readonly CrossProjectPrompt[] = [
  { project: 'mobile-app', prompt: 'how do I replay a failed Stripe webhook event?', belongsTo: 'billing-api' },
  { project: 'billing-api', prompt: 'how do we submit an iOS build to TestFlight?', belongsTo: 'mobile-app' },
  { project: 'data-pipeline', prompt: 'how do I rotate the APNs push certificate?', belongsTo: 'mobile-app' },
  { project: 'claude-family', prompt: 'how do we backfill a dbt incremental model?', belongsTo: 'data-pipeline' },
  { project: 'mobile-app', prompt: 'rerun a failed Airflow task and its downstream tasks', belongsTo: 'data-pipeline' },
];
