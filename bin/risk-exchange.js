#!/usr/bin/env node
// The package's command line. Built from src/cli by `npm run build`.
try {
  require('../dist/src/cli/main.js');
} catch (e) {
  if (e && e.code === 'MODULE_NOT_FOUND' && String(e.message).includes('dist/src/cli/main.js')) {
    process.stderr.write('risk-exchange: the CLI is not built yet; run `npm run build` first\n');
    process.exit(2);
  }
  throw e;
}
