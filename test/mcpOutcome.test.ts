import { expect, it } from 'vitest';
import { mcpOutcome } from '../src/hooks/mcpOutcome.js';

it('reads success or failure from an MCP tool_response', () => {
  expect(mcpOutcome([{ type: 'text', text: 'ok' }])).toEqual({ success: true });
  expect(mcpOutcome('plain text result')).toEqual({ success: true });
  expect(mcpOutcome(undefined)).toEqual({ success: true });
  expect(mcpOutcome({ content: [{ type: 'text', text: 'rows' }], isError: false })).toEqual({ success: true });
  expect(mcpOutcome({ error: null })).toEqual({ success: true });
  expect(mcpOutcome({ isError: true, content: [{ type: 'text', text: 'no such table' }] })).toEqual({ success: false, error: 'no such table' });
  expect(mcpOutcome({ is_error: true })).toEqual({ success: false, error: 'the tool reported an error' });
  expect(mcpOutcome({ error: 'timeout' })).toEqual({ success: false, error: 'timeout' });
  expect(mcpOutcome({ error: { message: 'denied', code: 403 } })).toEqual({ success: false, error: 'denied' });
  expect(mcpOutcome({ error: { code: 500 } })).toEqual({ success: false, error: '{"code":500}' });
  expect(mcpOutcome({ error: 'x'.repeat(5000) }).error).toHaveLength(2000);
});
