import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateSchemaText } from './print-schema';

describe('schema.graphql', () => {
  it('is exactly what the code generates (run `npm run schema` after changing the API)', async () => {
    const committed = fs.readFileSync(path.join(__dirname, '..', '..', 'schema.graphql'), 'utf8');
    const generated = await generateSchemaText();
    expect(generated).toContain('type Query');
    expect(committed).toBe(generated);
  });
});
