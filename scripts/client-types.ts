// The TypeScript client's types (src/client/api.generated.ts), generated from openapi.yaml by
// openapi-typescript: `npm run openapi` writes both; test/api/openapi-drift.test.ts checks both.
import openapiTS, { astToString } from 'openapi-typescript';

export async function clientTypes(yaml: string): Promise<string> {
  // A field with a default may be left out of a request: keep it optional.
  const body = astToString(await openapiTS(yaml, { defaultNonNullable: false }));
  return `// Generated from openapi.yaml by \`npm run openapi\` (openapi-typescript); do not edit.\n${body}`;
}
