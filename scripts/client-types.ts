// The TypeScript client's types (src/client/api.generated.ts), generated from openapi.yaml by
// openapi-typescript: `npm run openapi` writes both; test/api/openapi-drift.test.ts checks both.
import openapiTS, { astToString } from 'openapi-typescript';

export async function clientTypes(yaml: string): Promise<string> {
  const body = astToString(await openapiTS(yaml));
  return `// Generated from openapi.yaml by \`npm run openapi\` (openapi-typescript); do not edit.\n${body}`;
}
