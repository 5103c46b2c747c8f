// Request and connection timeouts (issue 12): a client dribbling its body (1 byte a tick) no longer
// holds a connection open; the server's timeouts come from REQUEST_TIMEOUT_MS, CONNECTION_TIMEOUT_MS
// and KEEP_ALIVE_TIMEOUT_MS.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_AUTH } from '../helpers/auth.js';
import { startApp, type TestApp } from './helpers.js';

let t: TestApp;
let port: number;
beforeAll(async () => {
  t = await startApp({ REQUEST_TIMEOUT_MS: '400', CONNECTION_TIMEOUT_MS: '20000', KEEP_ALIVE_TIMEOUT_MS: '5000' });
  const url = new URL(await t.app.listen({ port: 0, host: '127.0.0.1' }));
  port = Number(url.port);
});
afterAll(async () => {
  await t?.close();
});

describe('timeouts', () => {
  it('sets the server timeouts from the environment', () => {
    expect(t.app.server.requestTimeout).toBe(400);
    expect(t.app.server.timeout).toBe(20_000);
    expect(t.app.server.keepAliveTimeout).toBe(5000);
  });

  it('answers 408 and closes the connection of an upload that arrives a byte at a time', async () => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (c) => (received += c.toString()));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(
      `POST /v1/datasets HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/csv\r\nContent-Length: 1000\r\nAuthorization: ${ADMIN_AUTH.authorization}\r\n\r\n`,
    );
    let sent = 0;
    // 1,000 bytes at one per 50 ms would take 50 s; the server gives up long before.
    const dribble = setInterval(() => {
      if (!socket.destroyed && sent < 1000) socket.write(sent++ % 2 ? ',' : '1');
    }, 50);
    await closed;
    clearInterval(dribble);
    expect(sent).toBeLessThan(1000);
    expect(received).toMatch(/^HTTP\/1\.1 408/);
  });
});
