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

  it('never mistakes a null `first` (a 20-item page) for `first: 0` or a string', () => {
    const doc = parse('query($n: Int) { items(first: $n) { id name } }');
    expect(documentCost(schema, doc, { n: 0 })).toBe(3);
    expect(documentCost(schema, doc, { n: null })).toBe(41); // 1 + 2 × 20, not the cached 3
    expect(documentCost(schema, doc, {})).toBe(41);
  });

  it('keys only on declared variables, so junk variables neither change the cost nor grow the cache', () => {
    const doc = parse('query($n: Int) { items(first: $n) { id } }');
    const junk = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`junk${i}`, i]));
    expect(documentCost(schema, doc, { n: 5, ...junk })).toBe(documentCost(schema, doc, { n: 5 }));
  });

  it('counts list-variable lengths in the cache key', () => {
    const doc = parse('query($s: [String!]!) { riskScores(subjects: $s) { id } }');
    const one = documentCost(schema, doc, { s: ['a'] });
    const three = documentCost(schema, doc, { s: ['a', 'b', 'c'] });
    expect(three).toBeGreaterThan(one);
    expect(documentCost(schema, doc, { s: ['x', 'y', 'z'] })).toBe(three); // same shape, other strings
  });
});
