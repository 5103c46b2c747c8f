// openapi.yaml is generated from the routes and src/contracts (`npm run openapi`); this fails when
// the committed file and the generated document differ, and checks the served copies and the UI.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateOpenApiYaml } from '../../src/server/openapi-document.js';
import { clientTypes } from '../../scripts/client-types.js';
import { startApp } from './helpers.js';

interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  responses: Record<string, { content?: Record<string, unknown> }>;
}

describe('openapi.yaml', () => {
  it('matches the document generated from the code (run `npm run openapi` after changing a route or contract)', async () => {
    const generated = await generateOpenApiYaml();
    const committed = readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8');
    expect(committed === generated, 'openapi.yaml is out of date: run `npm run openapi`').toBe(true);
    const types = readFileSync(new URL('../../src/client/api.generated.ts', import.meta.url), 'utf8');
    expect(types === (await clientTypes(generated)), 'src/client/api.generated.ts is out of date: run `npm run openapi`').toBe(true);
  });

  it('is OpenAPI 3.1 with every route, shared schemas as components, problems as problem+json; served at /openapi.yaml and /docs', async () => {
    const t = await startApp();
    try {
      const yaml = (await t.app.inject({ url: '/openapi.yaml' })).body;
      expect(yaml.startsWith('openapi: 3.1.0')).toBe(true);
      const doc = (await t.app.inject({ url: '/openapi.json' })).json();
      const routes = Object.entries(doc.paths as Record<string, object>).flatMap(([p, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
      );
      expect(routes.sort()).toEqual(
        [
          'POST /v1/jobs',
          'GET /v1/jobs',
          'POST /v1/jobs/validate',
          'GET /v1/jobs/{id}',
          'DELETE /v1/jobs/{id}',
          'POST /v1/jobs/{id}/cancel',
          'GET /v1/jobs/{id}/events',
          'GET /v1/jobs/{id}/weights',
          'POST /v1/jobs/{id}/predict',
          'POST /v1/datasets',
          'GET /v1/datasets',
          'GET /v1/datasets/{id}',
          'DELETE /v1/datasets/{id}',
          'GET /healthz',
          'GET /readyz',
          'GET /metrics',
          'POST /v1/keys',
          'GET /v1/keys',
          'DELETE /v1/keys/{id}',
          'GET /v1/tenants',
          'GET /v1/tenants/{tenant}',
          'PUT /v1/tenants/{tenant}',
          'POST /v1/stream-tokens',
          'GET /v1/events',
          'GET /v1/jobs/{id}/deliveries',
          'GET /v1/tenants/{tenant}/webhook',
          'PUT /v1/tenants/{tenant}/webhook',
          'POST /v1/tenants/{tenant}/webhook/secret',
        ].sort(),
      );
      // Who may call each operation: a bearer key by default, nothing on the public ones, and a
      // stream token as an alternative on the event stream.
      expect(doc.components.securitySchemes).toEqual({
        bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
        streamToken: expect.objectContaining({ type: 'apiKey', in: 'query', name: 'token' }),
      });
      expect(doc.security).toEqual([{ bearer: [] }]);
      for (const p of ['/healthz', '/readyz']) expect(doc.paths[p].get.security).toEqual([]);
      expect(doc.paths['/v1/jobs/{id}/events'].get.security).toEqual([{ bearer: [] }, { streamToken: [] }]);
      expect(doc.paths['/v1/jobs'].post.security).toBeUndefined(); // the document's default: bearer
      expect(doc.paths['/v1/jobs'].post.responses['401'].content['application/problem+json']).toBeDefined();
      expect(Object.keys(doc.components.schemas)).toEqual(
        expect.arrayContaining(['JobSubmission', 'JobDocument', 'ModelSpec', 'LayerSpec', 'Problem', 'CompletedEvent']),
      );
      expect(doc.paths['/v1/jobs'].post.requestBody.content['application/json'].schema).toEqual({
        $ref: '#/components/schemas/JobSubmission',
      });
      expect(doc.paths['/v1/jobs'].post.responses['400'].content['application/problem+json'].schema).toEqual({
        $ref: '#/components/schemas/Problem',
      });
      expect(JSON.stringify(doc)).not.toContain('additionalItems');
      // The contract as generators read it (npm run lint:openapi lints the rest): every operation
      // named and described, a 4xx on every one but the two probes (redocly.yaml), problems only
      // as problem+json (what the server sends, also on the stream and bytes routes).
      const ops = Object.entries(doc.paths as Record<string, Record<string, Operation>>).flatMap(([p, m]) =>
        Object.entries(m).map(([method, op]) => ({ at: `${method.toUpperCase()} ${p}`, ...op })),
      );
      const ids = ops.map((o) => o.operationId);
      expect(ids.every((id) => typeof id === 'string') && new Set(ids).size === ops.length, ids.join(' ')).toBe(true);
      for (const op of ops) {
        expect(op.summary && op.description, `${op.at}: summary and description`).toBeTruthy();
        const codes = Object.keys(op.responses);
        if (!['GET /healthz', 'GET /readyz'].includes(op.at))
          expect(
            codes.some((c) => c.startsWith('4')),
            op.at,
          ).toBe(true);
        for (const c of codes.filter((c) => Number(c) >= 400)) {
          expect(Object.keys(op.responses[c]!.content ?? {}), `${op.at} ${c}`).toEqual(['application/problem+json']);
        }
      }
      // Unions: each form a component, the discriminator mapping every `type` to one.
      expect(doc.components.schemas.LayerSpec.discriminator.mapping.conv2d).toBe('#/components/schemas/Conv2dSpec');
      expect(doc.components.schemas.LayerSpec.oneOf.every((b: { $ref?: string }) => b.$ref)).toBe(true);
      expect(doc.components.schemas.JobEvent.discriminator.mapping.completed).toBe('#/components/schemas/CompletedJobEvent');
      const events = doc.paths['/v1/jobs/{id}/events'].get.responses['200'].content;
      expect(events['text/event-stream']['x-itemSchema']).toEqual({ $ref: '#/components/schemas/JobEvent' });
      expect(doc.components.schemas.EventLog.properties.events.items).toEqual({ $ref: '#/components/schemas/JobEvent' });
      const ui = await t.app.inject({ url: '/docs/' });
      expect(ui.statusCode).toBe(200);
      expect(ui.body).toContain('swagger');
    } finally {
      await t.close();
    }
  });
});
