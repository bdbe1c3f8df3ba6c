import { buildSchema, parse } from 'graphql';
import { documentCost } from './cost';

const schema = buildSchema(`
  type Item { id: ID! name: String }
  type Query { items(first: Int): [Item!]! riskScores(subjects: [String!]!): [Item!]! }
`);

describe('documentCost', () => {
  it('charges list fields by `first`, and caches by the shape of the variables, not their strings', () => {
    const doc = parse('query($n: Int, $b: Boolean!) { items(first: $n) { id name @include(if: $b) } }');
    expect(documentCost(schema, doc, { n: 5, b: true })).toBe(11);
    expect(documentCost(schema, doc, { n: 50, b: true })).toBe(101); // a different `first` is not a cache hit
    expect(documentCost(schema, doc, { n: 50, b: false })).toBe(51); // nor is a different @include
    expect(documentCost(schema, doc, { n: 5, b: true })).toBe(11);
  });

  it('counts list-variable lengths in the cache key', () => {
    const doc = parse('query($s: [String!]!) { riskScores(subjects: $s) { id } }');
    const one = documentCost(schema, doc, { s: ['a'] });
    const three = documentCost(schema, doc, { s: ['a', 'b', 'c'] });
    expect(three).toBeGreaterThan(one);
    expect(documentCost(schema, doc, { s: ['x', 'y', 'z'] })).toBe(three); // same shape, other strings
  });
});
