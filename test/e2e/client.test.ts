// The typed TypeScript client (`convoy/client`) against real API and worker processes: submit,
// follow with reconnection (no event lost or doubled when the connection drops), wait for the end,
// weights as bytes, predict, the tenant stream, and problems thrown as ConvoyError with the field.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Convoy, ConvoyError, type JobEvent, type TenantEvent } from 'convoy/client';
import { decodeSafetensors } from '../../src/engine/safetensors.js';
import { TEST_ADMIN_KEY } from '../helpers/auth.js';
import { toySpec } from '../helpers/jobs.js';
import { startStack, type Stack } from '../helpers/stack.js';

let stack: Stack;
let convoy: Convoy;

beforeAll(async () => {
  stack = await startStack({ redisUrl: inject('redisUrl'), apis: 2, workers: 1, env: { PROGRESS_INTERVAL_MS: '20', SSE_RETRY_MS: '50' } });
  convoy = new Convoy({ baseUrl: stack.url, apiKey: TEST_ADMIN_KEY });
});
afterAll(async () => {
  await stack?.stop();
});

describe('convoy/client', () => {
  it('runs examples/typescript/train-and-predict.ts (docs/clients.md) as shown', async () => {
    const { stdout } = await promisify(execFile)('npx', ['tsx', 'examples/typescript/train-and-predict.ts'], {
      env: { ...process.env, CONVOY_URL: stack.url, CONVOY_API_KEY: TEST_ADMIN_KEY },
      timeout: 120_000,
    });
    expect(stdout).toMatch(/^epoch 2: test accuracy 0\.\d+$/m);
    expect(stdout).toMatch(/^done: \d+ bytes of weights$/m);
    expect(stdout).toMatch(/^a blank image is class \d$/m);
  });

  it('submits, follows every event once across dropped connections and another API process, and waits for the end', async () => {
    const { id } = await convoy.submit(toySpec({ epochs: 4 }, 384) as never);
    // A fetch that sends each connection to the next API process and cuts the first one after 5 events.
    let connections = 0;
    const bases = stack.apis.map((a) => a.url!);
    const cutting: typeof fetch = async (input, init) => {
      const n = connections++;
      const res = await fetch(String(input).replace(bases[0]!, bases[n % 2]!), init);
      if (n > 0 || !res.body) return res;
      let seen = 0;
      const reader = res.body.getReader();
      const body = new ReadableStream<Uint8Array>({
        async pull(c) {
          const { done, value } = await reader.read();
          if (done) return c.close();
          seen += new TextDecoder().decode(value).split('\n\n').length - 1;
          if (seen > 5) {
            await reader.cancel();
            return c.error(new Error('network cut'));
          }
          c.enqueue(value);
        },
      });
      return new Response(body, { status: res.status, headers: res.headers });
    };
    const flaky = new Convoy({ baseUrl: bases[0]!, apiKey: TEST_ADMIN_KEY, fetch: cutting });
    const events: JobEvent[] = [];
    for await (const e of flaky.follow(id, { from: 'start' })) events.push(e);
    expect(connections).toBeGreaterThanOrEqual(2);
    expect(events.at(-1)?.type).toBe('completed');
    const logged = (
      await convoy.api.GET('/v1/jobs/{id}/events', {
        params: { path: { id }, query: { after: '0-0', limit: 10_000 } },
        headers: { accept: 'application/json' },
      })
    ).data as unknown as { events: { id: string }[] };
    const ids = events.filter((e) => e.type !== 'snapshot').map((e) => e.id);
    expect(ids).toEqual(logged.events.map((e) => e.id)); // no gap, no duplicate
    const done = await convoy.waitFor(id);
    expect(done.status).toBe('succeeded');
  });

  it('weights as bytes, predictions, the tenant stream, and problems as ConvoyError naming the field', async () => {
    const spec = toySpec({ epochs: 1 });
    const ac = new AbortController();
    const seen: TenantEvent[] = [];
    const all = (async () => {
      for await (const e of convoy.followAll({ signal: ac.signal })) seen.push(e);
    })();
    const { id } = await convoy.submit(spec as never);
    const done = await convoy.waitFor(id);
    expect(done.status).toBe('succeeded');
    const bytes = await convoy.weights(id);
    expect(decodeSafetensors(new Uint8Array(bytes)).tensors.map((t) => t.name)).toContain('layers.3.weight');
    const { predictions } = await convoy.predict(id, [Array(16).fill(0)]);
    expect(predictions[0]!.probabilities).toHaveLength(4);
    for (let i = 0; i < 100 && !seen.some((e) => e.type === 'completed' && e.jobId === id); i++)
      await new Promise((r) => setTimeout(r, 20));
    ac.abort();
    await all;
    expect(seen[0]!.type).toBe('snapshot');
    expect(seen.filter((e) => e.jobId === id).map((e) => e.type)).toContain('completed');

    const bad = await convoy.submit({ ...spec, training: { ...spec.training, batchSize: 100_000 } } as never).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ConvoyError);
    expect(bad).toMatchObject({ status: 400, field: '/training/batchSize', code: 'invalid' });
    const missing = await convoy.job('no-such-job').catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 404, code: 'not-found' });
    const wrongKey = await new Convoy({ baseUrl: stack.url, apiKey: 'cvy_nope' }).jobs().catch((e: unknown) => e);
    expect(wrongKey).toMatchObject({ status: 401 });
  });
});
