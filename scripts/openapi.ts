// `npm run openapi`: write openapi.yaml (OpenAPI 3.1) from the app's routes and schemas.
// The document comes from the code (src/contracts + the route schemas); test/api/openapi-drift.test.ts
// fails when the committed file and the generated document differ. `--check` exits 1 on drift.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateOpenApiYaml } from '../src/server/openapi-document.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const file = join(root, 'openapi.yaml');
const yaml = await generateOpenApiYaml();
if (process.argv.includes('--check')) {
  const current = readFileSync(file, 'utf8');
  if (current !== yaml) {
    console.error('openapi.yaml is out of date: run `npm run openapi`');
    process.exit(1);
  }
  console.log('openapi.yaml is up to date');
} else {
  writeFileSync(file, yaml);
  console.log(`wrote ${file} (${yaml.length} bytes)`);
}
