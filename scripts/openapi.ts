// `npm run openapi`: write openapi.yaml (OpenAPI 3.1) from the app's routes and schemas, and the
// typed client's types (src/client/api.generated.ts) from it. The document comes from the code
// (src/contracts + the route schemas); test/api/openapi-drift.test.ts fails when the committed
// files and the generated ones differ. `--check` exits 1 on drift.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateOpenApiYaml } from '../src/server/openapi-document.js';
import { clientTypes } from './client-types.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const yaml = await generateOpenApiYaml();
const files = { [join(root, 'openapi.yaml')]: yaml, [join(root, 'src/client/api.generated.ts')]: await clientTypes(yaml) };
if (process.argv.includes('--check')) {
  const stale = Object.keys(files).filter((f) => readFileSync(f, 'utf8') !== files[f]);
  if (stale.length > 0) {
    console.error(`out of date: ${stale.join(', ')}: run \`npm run openapi\``);
    process.exit(1);
  }
  console.log('openapi.yaml and the client types are up to date');
} else {
  for (const [file, text] of Object.entries(files)) {
    writeFileSync(file, text);
    console.log(`wrote ${file} (${text.length} bytes)`);
  }
}
