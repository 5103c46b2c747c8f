// Bit-identity across workers needs every worker of a job on one kernel variant (FMA or plain SIMD):
// a job checkpointed by a worker started with --experimental-wasm-relaxed-simd (as npm run
// start:worker and docker-compose start it) is refused by a worker without the flag, goes back to
// the queue untouched, and finishes on a worker running its variant again (workers/admission.ts).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { JobAccepted, JobDocument } from '../../src/contracts/index.js';
import { toySpec } from '../helpers/jobs.js';
import { getJson, jobEnded, postJson, startStack, waitFor, type Proc, type Stack } from '../helpers/stack.js';

const RELAXED = ['--experimental-wasm-relaxed-simd'];
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    redisUrl: inject('redisUrl'),
    apis: 1,
    workers: 0,
    workerEnv: { CHECKPOINT_EVERY_STEPS: '1', PROGRESS_INTERVAL_MS: '0' },
  });
});
afterAll(async () => {
  await stack?.stop();
});

const job = async (id: string) => (await getJson<JobDocument>(`${stack.url}/v1/jobs/${id}`)).body;
const ready = (p: Proc) => JSON.parse(p.lines.find((l) => l.includes('"worker ready"'))!) as { kernelVariant: string };

describe('kernel variant of a job', () => {
  it('a worker on the other variant refuses a checkpointed job; one on the same variant resumes it', async () => {
    const fma = await stack.addWorker({}, RELAXED);
    expect(ready(fma).kernelVariant).toBe('wasm-relaxed-simd');
    const res = await postJson<JobAccepted>(`${stack.url}/v1/jobs`, toySpec({ epochs: 400 }, 192));
    expect(res.status).toBe(202);
    const id = res.body.id;
    await waitFor(
      async () => (await job(id)).progress.epoch >= 2,
      30_000,
      () => 'the job never reached epoch 2',
    );
    await stack.kill(fma, 'SIGTERM'); // graceful: checkpoints and hands the job back
    const handedBack = await job(id);
    expect(fma.lines.some((l) => l.includes('"kernelVariant":"wasm-relaxed-simd"'))).toBe(true);

    const plain = await stack.addWorker();
    expect(ready(plain).kernelVariant).toBe('wasm-simd');
    await waitFor(
      () => plain.lines.some((l) => l.includes('kernel variant mismatch')),
      15_000,
      () => `the plain worker never refused: ${plain.lines.slice(-5).join('\n')}`,
    );
    const refusal = JSON.parse(plain.lines.find((l) => l.includes('kernel variant mismatch'))!) as Record<string, string>;
    expect(refusal.recorded).toBe('wasm-relaxed-simd');
    expect(refusal.msg).toMatch(
      /computed with wasm-relaxed-simd, this worker runs wasm-simd \(start a worker with node --experimental-wasm-relaxed-simd/,
    );
    await new Promise((r) => setTimeout(r, 2500)); // it keeps refusing: nothing moves
    const refused = await job(id);
    expect(refused.attempt, 'never claimed by the plain worker').toBe(handedBack.attempt);
    expect(refused.progress).toEqual(handedBack.progress);
    expect(plain.lines.some((l) => l.includes('resumed from checkpoint'))).toBe(false);

    const fmaAgain = await stack.addWorker({}, RELAXED);
    await waitFor(
      async () => (await job(id)).attempt > handedBack.attempt,
      20_000,
      () => `the relaxed worker never claimed it: ${fmaAgain.lines.slice(-5).join('\n')}`,
    );
    await postJson(`${stack.url}/v1/jobs/${id}/cancel`, {});
    const end = await jobEnded<JobDocument>(stack.url, id, 30_000);
    expect(end.status).toBe('cancelled');
    expect(fmaAgain.lines.some((l) => l.includes('resumed from checkpoint'))).toBe(true);
  });
});
