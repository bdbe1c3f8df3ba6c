import { buildSchema, parse } from 'graphql';
import { documentCost } from './cost';

const schema = buildSchema(`
  type Item { id: ID! name: String }
  type Score { tier: String flags(first: Int, after: ID): [Item!]! }
  type Query { items(first: Int): [Item!]! riskScores(subjects: [String!]!): [Score!]! }
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
    const doc = parse('query($s: [String!]!) { riskScores(subjects: $s) { tier } }');
    const one = documentCost(schema, doc, { s: ['a'] });
    const three = documentCost(schema, doc, { s: ['a', 'b', 'c'] });
    expect(three).toBeGreaterThan(one);
    expect(documentCost(schema, doc, { s: ['x', 'y', 'z'] })).toBe(three); // same shape, other strings
  });

  it('costs a paged list inside a list by its page size (20 when `first` is absent), times the outer list', () => {
    const subjects = Array.from({ length: 100 }, () => 'v1:x');
    expect(documentCost(schema, parse('query($s: [String!]!) { riskScores(subjects: $s) { flags { id name } } }'), { s: subjects })).toBe(1 + 100 * (1 + 20 * 2));
    expect(documentCost(schema, parse('query($s: [String!]!) { riskScores(subjects: $s) { flags(first: 5) { id name } } }'), { s: subjects })).toBe(1 + 100 * (1 + 5 * 2));
    expect(documentCost(schema, parse('query($s: [String!]!, $n: Int) { riskScores(subjects: $s) { tier flags(first: $n) { id } } }'), { s: ['v1:x'], n: 100 })).toBe(1 + 1 * (1 + 1 + 100));
  });
});
