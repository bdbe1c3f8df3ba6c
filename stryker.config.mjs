// Mutation testing of the pure modules (issue 12): `npm run mutation`. Reports go to
// bench/results/mutation.{json,html}; the run fails under 85 %. Concurrency 2: the machine has
// two cores shared with other work. Incremental: a rerun only tests mutants whose code or
// covering specs changed since bench/results/mutation-incremental.json. Module-level (static)
// mutants such as the permission table or regex constants keep their old result in an
// incremental run even when a new spec kills them: `npm run mutation -- --force` retests all.
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: { projectType: 'custom', configFile: 'jest.stryker.config.js', enableFindRelatedTests: true },
  coverageAnalysis: 'perTest',
  mutate: [
    'src/events/set-verifier.ts',
    'src/auth/assertion-verifier.ts',
    'src/scoring/score-model.ts',
    'src/scoring/episodes.ts',
    'src/audit/hash-chain.ts',
    'src/sharing/masking.ts',
    'src/sharing/visibility.ts',
    'src/auth/permissions.ts',
    'src/partners/jwk-policy.ts',
  ],
  ignorePatterns: ['dist', 'data', 'coverage', 'bench/results', '.stryker-tmp', 'migrations'],
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 2),
  timeoutMS: 20000,
  incremental: true,
  incrementalFile: 'bench/results/mutation-incremental.json',
  reporters: ['clear-text', 'progress-append-only', 'json', 'html'],
  jsonReporter: { fileName: 'bench/results/mutation.json' },
  htmlReporter: { fileName: 'bench/results/mutation.html' },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  thresholds: { high: 90, low: 85, break: 85 },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
