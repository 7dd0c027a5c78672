#!/usr/bin/env node
// The `apiauth` command (package.json "bin"): runs the compiled CLI, src/cli.ts.
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'dist', 'src', 'cli.js');
if (!fs.existsSync(cli)) {
  console.error('apiauth: the service is not built yet: run `npm run build` (or `npm start` once) first');
  process.exit(1);
}
require(cli);
