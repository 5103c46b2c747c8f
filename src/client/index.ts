// `import { Convoy } from 'convoy/client'`: the typed client (convoy.ts), its error (errors.ts) and
// the API's generated types (api.generated.ts, from openapi.yaml by `npm run openapi`).
export {
  Convoy,
  type ConvoyOptions,
  type EventPayloads,
  type EventType,
  type FollowOptions,
  type JobEvent,
  type TenantEvent,
} from './convoy.js';
export type { DatasetInfo, JobDocument, JobList, JobListQuery, JobSubmission, ValidationReport } from './convoy.js';
export { ConvoyError, type Problem } from './errors.js';
export type { components, paths } from './api.generated.js';
