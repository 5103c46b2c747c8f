// The pure parts of webhooks: which destinations the allow-list lets through (and which addresses
// count as public), the connection-time lookup guard, the Standard Webhooks signature and the body.
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { guardedLookup, isPublicAddress, matchHost, refusal, resolvedRefusal } from '../../src/server/webhooks/destination.js';
import { webhookPayload } from '../../src/server/webhooks/payload.js';
import { post, signature } from '../../src/server/webhooks/send.js';

describe('the allow-list', () => {
  it('is off when empty', () => {
    expect(refusal('https://hooks.example.com/x', [])).toContain('WEBHOOK_ALLOWED_HOSTS is empty');
  });

  it('matches exact hosts, *.suffix and *', () => {
    expect(matchHost('hooks.example.com', ['hooks.example.com'])).toBe('exact');
    expect(matchHost('a.example.com', ['*.example.com'])).toBe('wildcard');
    expect(matchHost('example.com', ['*.example.com'])).toBeNull();
    expect(matchHost('evil-example.com', ['*.example.com'])).toBeNull();
    expect(matchHost('anything.org', ['*'])).toBe('wildcard');
  });

  it('refuses other hosts, other schemes and credentials in the URL', () => {
    const allowed = ['hooks.example.com'];
    expect(refusal('https://hooks.example.com/x?token=1', allowed)).toBeNull();
    expect(refusal('https://other.example.com/x', allowed)).toContain('not in WEBHOOK_ALLOWED_HOSTS');
    expect(refusal('ftp://hooks.example.com/x', allowed)).toContain('http or https');
    expect(refusal('https://u:p@hooks.example.com/x', allowed)).toContain('credentials');
    expect(refusal('not a url', allowed)).toBe('is not a URL');
  });

  it('lets a wildcard reach public addresses only; an exactly named private host is trusted', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
    ]) {
      expect(isPublicAddress(a), a).toBe(false);
    }
    for (const a of ['93.184.216.34', '1.1.1.1', '2606:4700:4700::1111']) expect(isPublicAddress(a), a).toBe(true);
    expect(refusal('http://169.254.169.254/latest/meta-data', ['*'])).toContain('not a public address');
    expect(refusal('http://[::1]:6379/', ['*'])).toContain('not a public address');
    expect(refusal('http://127.0.0.1:8080/hook', ['127.0.0.1'])).toBeNull();
  });

  it('resolves wildcard-allowed names: localhost is refused through *, allowed when named', async () => {
    expect(await resolvedRefusal('http://localhost:9/x', ['*'])).toMatch(/resolves to (127\.0\.0\.1|::1), not a public address/);
    expect(await resolvedRefusal('http://localhost:9/x', ['localhost'])).toBeNull();
  });

  it("refuses a private address inside the connection's own lookup", async () => {
    const lookup = guardedLookup(true);
    const err = await new Promise<Error | null>((resolve) => lookup('localhost', {}, (e) => resolve(e)));
    expect(err?.message).toMatch(/localhost resolves to .*not a public address/);
    const ok = await new Promise<unknown>((resolve) => guardedLookup(false)('localhost', { all: true }, (_e, a) => resolve(a)));
    expect(ok).toEqual(expect.arrayContaining([expect.objectContaining({ address: expect.any(String) })]));
  });
});

describe('one attempt', () => {
  it('signs "{id}.{timestamp}.{body}" with the bytes after whsec_ (HMAC-SHA256, base64)', () => {
    const key = Buffer.from('0123456789abcdef0123456789abcdef');
    const secret = `whsec_${key.toString('base64')}`;
    const expected = createHmac('sha256', key).update('msg_1.1700000000.{"a":1}').digest('base64');
    expect(signature(secret, 'msg_1', 1700000000, '{"a":1}')).toBe(`v1,${expected}`);
    expect(signature(secret, 'msg_1', 1700000001, '{"a":1}')).not.toBe(`v1,${expected}`);
  });

  it('POSTs the body with the three headers; a guarded lookup never connects to a private address', async () => {
    let seen: { headers: Record<string, unknown>; body: string } | undefined;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen = { headers: req.headers, body };
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const attempt = { webhookId: 'msg_x', secret: 'whsec_c2VjcmV0', body: '{"ok":true}', timeoutMs: 2000 };
    try {
      expect(await post({ ...attempt, url: `http://localhost:${port}/h`, publicOnly: false })).toBe(204);
      expect(seen?.body).toBe('{"ok":true}');
      const ts = Number(seen?.headers['webhook-timestamp']);
      expect(seen?.headers['webhook-signature']).toBe(signature(attempt.secret, 'msg_x', ts, attempt.body));
      expect(seen?.headers['webhook-id']).toBe('msg_x');
      seen = undefined;
      await expect(post({ ...attempt, url: `http://localhost:${port}/h`, publicOnly: true })).rejects.toThrow(/not a public address/);
      expect(seen).toBeUndefined();
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('the body', () => {
  it('wraps the terminal event, without inline tensors, dated by the event', () => {
    const weights = {
      href: '/v1/jobs/j1/weights',
      sha256: 'a'.repeat(64),
      bytes: 8,
      tensors: [{ name: 'w', shape: [2], dtype: 'float32', data: 'AAAA' }],
    };
    const p = webhookPayload(
      { id: 'j1', tenant: 'acme', name: 'n' },
      { id: '1700000000123-0', type: 'completed', data: { metrics: { loss: 1, accuracy: 0.5 }, history: [], weights } },
    );
    expect(p).toEqual({
      type: 'job.succeeded',
      timestamp: '2023-11-14T22:13:20.123Z',
      data: {
        jobId: 'j1',
        tenant: 'acme',
        name: 'n',
        status: 'succeeded',
        event: {
          id: '1700000000123-0',
          type: 'completed',
          data: {
            metrics: { loss: 1, accuracy: 0.5 },
            history: [],
            weights: { href: '/v1/jobs/j1/weights', sha256: 'a'.repeat(64), bytes: 8 },
          },
        },
      },
    });
    expect(
      webhookPayload({ id: 'j1', tenant: 'acme', name: null }, { id: '1-0', type: 'cancelled', data: { metrics: {}, weights: null } })
        ?.type,
    ).toBe('job.cancelled');
    expect(webhookPayload({ id: 'j1', tenant: 'acme', name: null }, { id: '1-0', type: 'progress', data: {} })).toBeNull();
  });
});
