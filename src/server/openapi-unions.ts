// The document's discriminated unions, spelled out for generators and linters:
// - every `oneOf` branch is a `$ref` to a named component (openapi.ts names them from the
//   contracts' *_FORMS), and the discriminator's `mapping` sends each `type` value to its form;
// - the job event log's entries (EventLog, and each frame of the event stream) are JobEvent, the
//   `oneOf` of the event forms. OpenAPI 3.1 has no keyword for the items of a text/event-stream
//   body (3.2 adds `itemSchema`), so the stream's media type carries it as `x-itemSchema`.

type Schema = Record<string, unknown> & {
  oneOf?: { $ref?: string }[];
  discriminator?: { propertyName: string; mapping?: Record<string, string> };
  properties?: Record<string, { const?: string; enum?: string[] }>;
};

const componentName = (ref: string) => ref.replace('#/components/schemas/', '');

/** Adds `mapping` to every component whose discriminated `oneOf` is all `$ref`s. */
export function mapDiscriminators(schemas: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(schemas)) {
    const schema = value as Schema;
    if (!schema.discriminator || !schema.oneOf) continue;
    const tag = schema.discriminator.propertyName;
    const mapping: Record<string, string> = {};
    for (const branch of schema.oneOf) {
      if (!branch.$ref) throw new Error(`${name}: a oneOf branch has no component (name it in openapi.ts)`);
      const form = schemas[componentName(branch.$ref)] as Schema;
      const values = form.properties?.[tag]?.const !== undefined ? [form.properties[tag].const] : (form.properties?.[tag]?.enum ?? []);
      for (const v of values) mapping[v] = branch.$ref;
    }
    schema.discriminator = { propertyName: tag, mapping };
  }
}

type Paths = Record<string, Record<string, { responses?: Record<string, { content?: Record<string, Record<string, unknown>> }> }>>;

/** EventLog's entries and the job event stream's frames are JobEvent; the tenant stream's frames wrap them. */
export function describeJobEvents(schemas: Record<string, unknown>, paths: Paths): void {
  // a fresh object per use: a shared one comes out of the YAML writer as an anchor and alias
  const jobEvent = () => ({ $ref: '#/components/schemas/JobEvent' });
  const log = schemas.EventLog as { properties: { events: { items: unknown } } };
  log.properties.events.items = jobEvent();
  const stream = paths['/v1/jobs/{id}/events']?.get?.responses?.['200']?.content?.['text/event-stream'];
  if (!stream) throw new Error('GET /v1/jobs/{id}/events has no text/event-stream answer');
  stream['x-itemSchema'] = jobEvent();
  const tenantStream = paths['/v1/events']?.get?.responses?.['200']?.content?.['text/event-stream'];
  if (!tenantStream) throw new Error('GET /v1/events has no text/event-stream answer');
  // Inline, not a component: Redocly counts no $ref inside an x- extension as a use of a component.
  tenantStream['x-itemSchema'] = {
    type: 'object',
    description: "A frame of the tenant stream: the SSE event's name is the job event's type; `snapshot` first.",
    required: ['id', 'type', 'data'],
    properties: {
      id: { type: 'string', description: "The tenant stream's id (resume with Last-Event-ID)" },
      type: { type: 'string', description: 'snapshot, or a JobEvent type' },
      data: {
        type: 'object',
        required: ['jobId', 'jobEventId', 'data'],
        properties: {
          jobId: { type: 'string' },
          jobEventId: { type: 'string', description: "The event's id in the job's own stream" },
          data: { description: "The job event's payload: the `data` of the JobEvent form named by `type`" },
        },
      },
    },
  };
}
