// One delivery attempt: the body signed the Standard Webhooks way, POSTed with node:http(s).
//
//   webhook-id         the same on every attempt of one delivery (receivers dedupe on it)
//   webhook-timestamp  seconds since the epoch, this attempt's (receivers refuse old ones: replays)
//   webhook-signature  v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}"> keyed with the bytes
//                      of the tenant's secret after `whsec_` (base64-decoded)
//
// node:http rather than fetch: its `lookup` option lets the connection use guardedLookup
// (destination.ts), so the address checked is the one connected to. Redirects are not followed: a
// 3xx is a failed attempt like any other non-2xx answer.
import { createHmac } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { guardedLookup } from './destination.js';

export function signature(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

export interface Attempt {
  url: string;
  webhookId: string;
  secret: string;
  body: string;
  timeoutMs: number;
  /** Refuse non-public addresses (the host is allowed only through a wildcard). */
  publicOnly: boolean;
}

/** POSTs once; the receiver's status code. Throws on no answer (refused, DNS, timeout). */
export function post(a: Attempt): Promise<number> {
  const timestamp = Math.floor(Date.now() / 1000);
  const url = new URL(a.url);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'convoy-webhooks',
          'webhook-id': a.webhookId,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signature(a.secret, a.webhookId, timestamp, a.body),
        },
        lookup: guardedLookup(a.publicOnly),
        // A connection of its own: a kept-alive socket would skip this attempt's lookup, and its check.
        agent: false,
        signal: AbortSignal.timeout(a.timeoutMs),
      },
      (res) => {
        res.resume(); // the answer's body is not read, only drained
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(a.body);
  });
}
