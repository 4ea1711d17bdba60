import { expect, it } from 'vitest';
import { knowledgeInputFromNoteText, renderKnowledgeNote } from '../src/core/render/knowledgeNote.js';
import { parseNote } from '../src/core/render/generatedSection.js';
import { upsertKnowledge } from '../src/core/repos/knowledge.js';
import { describeEachBackend, uniqueProject } from './support/backends.js';

describeEachBackend('knowledge note round trip: note -> KnowledgeInput -> row -> note', (ctx) => {
  it('renders a stored entry into a note that reads back as the same entry', async () => {
    const { db } = ctx();
    const name = uniqueProject('pattern');
    const note = `---\npattern_name: ${name}\ncategory: testing\nconfidence_level: 7\ngotchas:\n  - Run on both backends\n  - "Quote: colons"\n---\nUse describeEachBackend.\n\n## Example\n\n\`\`\`ts\ndescribeEachBackend('x', (ctx) => {});\n\`\`\`\n`;
    const input = knowledgeInputFromNoteText(note, 'Knowledge/p.md');
    const { knowledge: row, created } = await upsertKnowledge(db, input);
    expect(created).toBe(true);

    const rendered = renderKnowledgeNote(row);
    expect(parseNote(rendered).data.knowledge_id).toBe(row.knowledge_id);
    const back = knowledgeInputFromNoteText(rendered, 'Knowledge/p.md');
    expect(back).toEqual({ ...input, knowledgeId: row.knowledge_id });

    // Promoting the rendered note again updates the same row.
    const again = await upsertKnowledge(db, { ...back, confidenceLevel: 9 });
    expect(again.created).toBe(false);
    expect(again.knowledge.knowledge_id).toBe(row.knowledge_id);
    expect(again.knowledge.confidence_level).toBe(9);
  });
});
