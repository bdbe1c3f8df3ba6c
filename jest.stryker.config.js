// Mutation testing (npm run mutation): the unit specs of the pure modules Stryker mutates, and
// nothing else, so each mutant reruns only the few specs that cover it.
const base = require('./jest.config.js').projects.find((p) => p.displayName === 'unit');
const { displayName, ...unit } = base;
module.exports = {
  ...unit,
  testMatch: [
    '<rootDir>/src/events/set-verifier*.spec.ts',
    '<rootDir>/src/auth/assertion-verifier*.spec.ts',
    // permissions.spec.ts boots Nest to read the resolvers' metadata (a minute per run): the table itself is checked by permissions.rules.spec.ts.
    '<rootDir>/src/auth/permissions.rules.spec.ts',
    '<rootDir>/src/scoring/score-model*.spec.ts',
    '<rootDir>/src/scoring/episodes*.spec.ts',
    '<rootDir>/src/scoring/evaluation-query.spec.ts',
    '<rootDir>/src/audit/hash-chain*.spec.ts',
    '<rootDir>/src/sharing/masking*.spec.ts',
    '<rootDir>/src/sharing/visibility*.spec.ts',
    '<rootDir>/src/partners/jwk-policy*.spec.ts',
  ],
};
