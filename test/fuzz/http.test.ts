// Fuzz over a real socket: what inject cannot send. Raw HTTP/1.1 requests with generated request
// lines, header names and values (oversized, duplicated, invalid characters), Content-Length that
// disagrees with the body, Transfer-Encoding with broken chunks, both framings at once. Node's
// parser may answer 400/413/431 itself or close the connection; the app must never answer 5xx, a
// rejected request must store nothing, and the server must keep serving.
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyJob } from '../api/helpers.js';
import { TEST_ADMIN_KEY } from '../helpers/auth.js';
import { headerText, idempotencyKey, streamIdLike } from './arbitraries/requests.js';
import { shown } from './arbitraries/values.js';
import { announceSeed, fuzzParams, fuzzTimeout, startFuzzApp, type FuzzApp } from './harness.js';

let f: FuzzApp;
let port = 0;
beforeAll(async () => {
  announceSeed('test/fuzz/http.test.ts');
  f = await startFuzzApp({ TENANT_MAX_ACTIVE_JOBS: '1000000' });
  const base = await f.app.listen({ port: 0, host: '127.0.0.1' });
  port = Number(new URL(base).port);
});
afterAll(async () => {
  await f?.close();
});

/**
 * Sends raw bytes and returns what came back: until the server closes, or 100 ms after its last
 * bytes, or after 0.5 s of silence (it waits for a body that will not come). The client never
 * half-closes: Node aborts a request whose client sends FIN (without httpAllowHalfOpen), so the
 * app could act on a request whose answer nobody reads.
 */
function exchange(raw: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let timer = setTimeout(() => socket.destroy(), 500);
    socket.on('data', (c) => {
      chunks.push(c);
      clearTimeout(timer);
      timer = setTimeout(() => socket.destroy(), 100);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.write(raw);
  });
}

const job = JSON.stringify(tinyJob());
const headerName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('idempotency-key', 'last-event-id', 'accept', 'x-forwarded-for', 'user-agent') },
  fc.constantFrom(
    'authorization',
    'content-type',
    'idempotency-key',
    'last-event-id',
    'accept',
    'x-forwarded-for',
    'expect',
    'connection',
    'host',
  ),
  fc.constantFrom('bad name', 'bad:name', 'bad\x01', ''),
  fc.stringMatching(/^[a-z-]{1,12}$/),
);
const headerValue = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/) },
  fc.constantFrom(`Bearer ${TEST_ADMIN_KEY}`, 'application/json', 'text/csv', 'multipart/form-data', '100-continue', 'close', 'keep-alive'),
  idempotencyKey,
  streamIdLike,
  headerText(60),
  fc.constant('x'.repeat(20_000)),
  fc.constantFrom('a\rb', 'a\nb', 'a\x00b'),
);

const framing = fc.oneof(
  { weight: 8, arbitrary: fc.constant({ kind: 'length' as const }) },
  fc.record({ kind: fc.constant('wrong-length' as const), delta: fc.integer({ min: -50, max: 50 }) }),
  fc.constantFrom(
    { kind: 'bad-length' as const, value: '-1' },
    { kind: 'bad-length' as const, value: '1e3' },
    { kind: 'bad-length' as const, value: '99999999999999999999' },
    { kind: 'bad-length' as const, value: '5, 6' },
  ),
  fc.constant({ kind: 'chunked' as const }),
  fc.constantFrom(
    { kind: 'bad-chunk' as const, size: 'zz' },
    { kind: 'bad-chunk' as const, size: 'ffffffffffffffff' },
    { kind: 'bad-chunk' as const, size: '-1' },
  ),
  fc.constant({ kind: 'both' as const }),
  fc.constant({ kind: 'none' as const }),
);

const anyTarget = fc.record({
  method: fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom('GET', 'POST', 'DELETE') },
    fc.constantFrom('PUT', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'CONNECT', 'get', 'P0ST', ''),
  ),
  path: fc.oneof(
    // Not GET /v1/events: an open stream holds a slot in Redis until the server sees the client go.
    fc.constantFrom('/v1/jobs', '/v1/jobs/validate', '/v1/datasets', '/healthz', '/v1/jobs/x/events?after=0-0', '/v1/keys'),
    fc.constantFrom(
      '*',
      'http://evil/v1/jobs',
      '/v1/jobs/%',
      '/v1/jobs/%00',
      `/v1/jobs/${'a'.repeat(9000)}`,
      '/v1/../etc/passwd',
      '/v1/jobs?limit=1&limit=2',
      '//v1/jobs',
    ),
    headerText(30).map((s) => `/v1/jobs/${s.replace(/\s/g, '')}`),
  ),
  body: fc.oneof(fc.constant(job), fc.constant('0,1,2\n1,3,4\n'), fc.constant(''), fc.string({ maxLength: 200 })),
});

const rawRequest = fc
  .record({
    // A third are submissions that the app accepts when their framing and headers hold.
    target: fc.oneof({ weight: 2, arbitrary: anyTarget }, fc.constant({ method: 'POST', path: '/v1/jobs', body: job })),
    version: fc.oneof(
      { weight: 6, arbitrary: fc.constant('HTTP/1.1') },
      fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/9.9', 'HTTP/1.1x', ''),
    ),
    auth: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, fc.constant(false)),
    json: fc.boolean(),
    headers: fc.array(fc.tuple(headerName, headerValue), { maxLength: 3 }),
    framing,
  })
  .map((r) => {
    const { method, path, body: text } = r.target;
    const lines = [`${method} ${path} ${r.version}`.trimEnd(), `host: 127.0.0.1:${port}`];
    if (r.auth) lines.push(`authorization: Bearer ${TEST_ADMIN_KEY}`);
    if (r.json) lines.push('content-type: application/json');
    for (const [name, value] of r.headers) lines.push(`${name}: ${value}`);
    // The server closes after answering, so a case ends when the answer does.
    lines.push('connection: close');
    let body = Buffer.from(text);
    const f_ = r.framing;
    if (f_.kind === 'length') lines.push(`content-length: ${body.length}`);
    if (f_.kind === 'wrong-length') lines.push(`content-length: ${Math.max(0, body.length + f_.delta)}`);
    if (f_.kind === 'bad-length') lines.push(`content-length: ${f_.value}`);
    if (f_.kind === 'chunked' || f_.kind === 'both' || f_.kind === 'bad-chunk') {
      lines.push('transfer-encoding: chunked');
      if (f_.kind === 'both') lines.push(`content-length: ${body.length}`);
      const size = f_.kind === 'bad-chunk' ? f_.size : body.length.toString(16);
      body = Buffer.from(`${body.length ? `${size}\r\n${text}\r\n` : ''}0\r\n\r\n`);
    }
    const raw = Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
    return shown({ raw }, raw.toString('latin1'));
  });

describe('fuzz: raw HTTP', () => {
  const REQUESTS = 200;
  it(
    'never 5xx on the wire, a rejection stores nothing, and the server keeps answering',
    async () => {
      const seen: Record<string, number> = { answered: 0, accepted: 0 };
      await fc.assert(
        fc.asyncProperty(rawRequest, async ({ raw }) => {
          const before = await f.state();
          const answer = await exchange(raw);
          const statuses = [...answer.matchAll(/^HTTP\/1\.[01] (\d{3})/gm)].map((m) => Number(m[1]));
          const context = `${raw.toString('latin1').slice(0, 400)}\n=> ${answer.slice(0, 400)}`;
          for (const status of statuses) expect(status, context).toBeLessThan(500);
          if (statuses.length) seen.answered!++;
          if (statuses.some((s) => s >= 200 && s < 300)) seen.accepted!++;
          for (const s of statuses) seen[s] = (seen[s] ?? 0) + 1;
          if (statuses.some((s) => s >= 200 && s < 300)) await f.sweep();
          // No answer at all: the server was still waiting for the request's body when we left.
          else if (statuses.length === 0) expect(answer, context).toBe('');
          else expect(await f.state(), `${context}\na rejected request changed the store or the queue`).toEqual(before);
        }),
        fuzzParams(REQUESTS),
      );
      // The generator gets past the parser and through the app, not only into 400s.
      console.log(`[fuzz] raw HTTP: ${JSON.stringify(seen)}`);
      expect(seen.accepted).toBeGreaterThan(0);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      await f.expectAlive();
    },
    fuzzTimeout(REQUESTS, 100),
  );
});
