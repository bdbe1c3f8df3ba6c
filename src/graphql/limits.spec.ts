import { buildSchema, parse, specifiedRules, validate } from 'graphql';
import { fieldAndAliasLimitRule, textLimitError } from './limits';

const schema = buildSchema('type Q { a: Int b: Int n: Q } schema { query: Q }');
const errors = (doc: string) => validate(schema, parse(doc), [fieldAndAliasLimitRule]).map((e) => e.message);

describe('document limits by execution', () => {
  it('counts a fragment each time it is spread', () => {
    const frag = `fragment F on Q { ${'a '.repeat(10)}}`;
    // 30 spreads of a fragment of 10 fields: 30 x (1 + 10) = 330 executed, 40 defined.
    const doc = `{ ${Array.from({ length: 30 }, (_, i) => `x${i}: n { ...F }`).join(' ')} } ${frag}`;
    expect(errors(doc)).toEqual(['the document selects more than 300 fields (a fragment counts each time it is used)']);
    expect(errors(`{ ${Array.from({ length: 27 }, (_, i) => `x${i}: n { ...F }`).join(' ')} } ${frag}`)).toEqual([]); // 297
  });

  it('counts a chain of doubling fragments in linear time, saturating', () => {
    // F0 spreads F1 twice, F1 spreads F2 twice, ... : 2^40 executed fields, 80 defined. Walking
    // every spread would never finish; each fragment is walked once.
    const frags = Array.from({ length: 40 }, (_, i) => `fragment F${i} on Q { n { ...F${i + 1} } b: n { ...F${i + 1} } }`).join(' ');
    expect(errors(`{ ...F0 } ${frags} fragment F40 on Q { a }`)).toEqual(['the document selects more than 300 fields (a fragment counts each time it is used)']);
  });

  it('follows nesting through fragments and survives a fragment cycle', () => {
    const deep = `{ n { ...D } } fragment D on Q { n { n { n { n { n { n { n { n { n { n { n { a } } } } } } } } } } } }`;
    expect(errors(deep)).toEqual(['the document nests deeper than 12 levels']);
    expect(errors('{ n { n { n { n { n { n { n { n { n { n { n { a } } } } } } } } } } } }')).toEqual([]); // 12
    const cyclic = validate(schema, parse('{ ...A } fragment A on Q { n { ...B } } fragment B on Q { n { ...A } }'), [...specifiedRules, fieldAndAliasLimitRule]);
    expect(cyclic.map((e) => e.message)).toContain('Cannot spread fragment "A" within itself via "B".');
  });

  it('names the text limit broken before parsing', () => {
    expect(textLimitError('{ a }')).toBeUndefined();
    expect(textLimitError(`{ a } #${'x'.repeat(70_000)}`)?.code).toBe('DOCUMENT_TOO_LARGE');
    expect(textLimitError(`{ ${'a '.repeat(3001)}}`)?.code).toBe('TOO_MANY_TOKENS');
  });
});
