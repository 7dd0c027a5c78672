/** Writes schema.graphql from the code-first schema (npm run schema). A test fails when it drifts. */
import fs from 'node:fs';
import path from 'node:path';
import { renderSchema } from '../src/graphql/print-schema';

const target = path.resolve(__dirname, '..', '..', 'schema.graphql');
fs.writeFileSync(target, renderSchema());
console.log(`wrote ${target}`);
