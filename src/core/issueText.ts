/**
 * A zod error's issues in one line, each as `path: message` ("(root)" for the value itself), joined with
 * "; ". `prefix` names where the validated value sits in a larger input (e.g. ['tool_input']).
 */
export function issuesText(issues: readonly { path: readonly PropertyKey[]; message: string }[], prefix: readonly string[] = []): string {
  return issues.map((i) => `${[...prefix, ...i.path.map(String)].join('.') || '(root)'}: ${i.message}`).join('; ');
}
