// A batch-norm residual model with augmentation and label smoothing survives a SIGKILL bit for bit:
// real API and worker processes from dist, the run's private Redis. The reference run goes through
// uninterrupted on 2 pool threads; the second is killed after a checkpoint mid-run and resumed by
// a worker with 1 thread, from the checkpoint's weights, running statistics and optimizer state.
// Slow running averages (momentum 0.01) keep what the checkpoint held visible in the final bytes.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { JobAccepted, JobDocument } from '../../src/contracts/index.js';
import { decodeSafetensors } from '../../src/engine/index.js';
import { authedFetch } from '../helpers/auth.js';
import { resnetToySpec } from '../helpers/jobs.js';
import { FAST_RECOVERY_ENV, getJson, jobEnded, postJson, startStack, waitFor, type Stack } from '../helpers/stack.js';

const CHECKPOINT_EVERY_STEPS = 5;
/** 40 epochs of 5 steps (batches of 12 in micro-shards of 4). */
const spec = () => resnetToySpec(40, { bnMomentum: 0.01 });

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    redisUrl: inject('redisUrl'),
    apis: 1,
    workers: 0,
    env: { ...FAST_RECOVERY_ENV, PROGRESS_INTERVAL_MS: '0', CHECKPOINT_EVERY_STEPS: String(CHECKPOINT_EVERY_STEPS) },
  });
});
afterAll(async () => {
  await stack?.stop();
});

async function submit(): Promise<string> {
  const res = await postJson<JobAccepted>(`${stack.url}/v1/jobs`, spec());
  expect(res.status).toBe(202);
  return res.body.id;
}

async function weights(id: string): Promise<{ sha: string; names: string[] }> {
  const res = await authedFetch(`${stack.url}/v1/jobs/${id}/weights?format=safetensors`);
  expect(res.status).toBe(200);
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { sha: createHash('sha256').update(bytes).digest('hex'), names: decodeSafetensors(bytes).tensors.map((t) => t.name) };
}

describe('deep models: SIGKILL and resume', () => {
  it('resumes a killed augmented batch-norm job from its checkpoint to the same safetensors bytes', async () => {
    const first = await stack.addWorker({ POOL_THREADS: '2' });
    const reference = await submit();
    expect((await jobEnded<JobDocument>(stack.url, reference)).status).toBe('succeeded');
    const want = await weights(reference);
    expect(want.names).toContain('layers.3.layers.1.running_mean');

    const id = await submit();
    let doc: JobDocument | undefined;
    const at = (d: JobDocument | undefined) => (d?.progress ? (d.progress.epoch - 1) * d.progress.stepsPerEpoch + d.progress.step : 0);
    await waitFor(
      async () => {
        doc = (await getJson<JobDocument>(`${stack.url}/v1/jobs/${id}`)).body;
        return at(doc) >= 3 * CHECKPOINT_EVERY_STEPS + 2;
      },
      30_000,
      () => `the job did not get past its third checkpoint: ${doc?.status}/${doc?.stage}`,
    );
    await stack.kill(first, 'SIGKILL');
    const killedAt = at(doc);
    expect(killedAt).toBeLessThan(200); // mid-run
    await stack.addWorker({ POOL_THREADS: '1' });
    const done = await jobEnded<JobDocument>(stack.url, id, 60_000);
    expect(done.status).toBe('succeeded');
    expect(done.attempt).toBe(2);
    // it resumed from a checkpoint after the start, at most CHECKPOINT_EVERY_STEPS before the kill
    const log = await getJson<{ events: { type: string; data: { stage?: string; message?: string } }[] }>(
      `${stack.url}/v1/jobs/${id}/events?after=0-0&limit=10000`,
    );
    const recovering = log.body.events.find((e) => e.type === 'status' && e.data.stage === 'recovering');
    const m = /epoch (\d+), step (\d+)/.exec(recovering?.data.message ?? '');
    expect(m, JSON.stringify(recovering)).not.toBeNull();
    const resumedAt = (Number(m![1]) - 1) * 5 + Number(m![2]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeGreaterThanOrEqual(killedAt - CHECKPOINT_EVERY_STEPS);
    expect((await weights(id)).sha).toBe(want.sha);
  });
});
