// The predict queue's processor: class probabilities for a request's inputs with a finished job's
// weights, computed on the pool in chunks of at most the engine's inference chunk (memory.ts
// inferenceRows: bounded buffers in the thread). Between chunks it stops when the caller is gone:
// the request's deadline passed (the API answered 504) or the API marked it abandoned (the client
// disconnected: src/store/predict-requests.ts).
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import type { ModelSpec, PredictJobData, PredictResult } from '../src/contracts/index.js';
import { createModel, decodeSafetensors, inferenceRows, loadWeights, WeightsError } from '../src/engine/index.js';
import type { JobStore, PredictRequests } from '../src/store/index.js';
import type { Pool } from './pool.js';

interface PredictModel {
  key: string;
  spec: ModelSpec;
  weights: SharedArrayBuffer;
  /** Batch norm's running statistics: inference normalises with them. */
  running: SharedArrayBuffer;
  inputSize: number;
  classes: number;
  inputScale: number;
  /** Inputs per pool task. */
  rows: number;
}

/** A prediction the job cannot make (no weights, wrong input length): the caller's fault. */
class PredictRefused extends Error {}

/** The weights of this many jobs are kept, most recently used first. */
const PREDICT_CACHE = 8;

export class Predictor {
  private readonly models = new Map<string, PredictModel>();

  constructor(
    private readonly store: JobStore,
    private readonly requests: PredictRequests,
    private readonly pool: Pool,
    private readonly log: Logger,
  ) {}

  /** A request the job cannot answer comes back as `{ refused }` (the API's 422), not as a failure. */
  async answer(job: Job<PredictJobData>): Promise<PredictResult> {
    try {
      return await this.predict(job);
    } catch (err) {
      if (err instanceof PredictRefused) return { refused: err.message };
      throw err;
    }
  }

  private async predict(job: Job<PredictJobData>): Promise<PredictResult> {
    const { jobId, inputs } = job.data;
    const m = await this.model(jobId);
    const x = new Float32Array(inputs.length * m.inputSize);
    inputs.forEach((row, i) => {
      if (row.length !== m.inputSize) {
        throw new PredictRefused(`inputs[${i}] has ${row.length} values; the model takes ${m.inputSize}`);
      }
      for (let j = 0; j < row.length; j++) x[i * m.inputSize + j] = row[j]! / m.inputScale;
    });
    const probs = new Float32Array(inputs.length * m.classes);
    for (let from = 0; from < inputs.length; from += m.rows) {
      if (await this.callerGone(job)) {
        this.log.info({ jobId, request: job.id, done: from, inputs: inputs.length }, 'predict stopped: its caller is gone');
        return { abandoned: true };
      }
      const n = Math.min(m.rows, inputs.length - from);
      // slice: a posted view would carry its whole buffer along
      const part = await this.pool.run<Float32Array>({
        kind: 'predict',
        key: m.key,
        model: m.spec,
        weights: m.weights,
        running: m.running,
        inputs: x.slice(from * m.inputSize, (from + n) * m.inputSize),
        n,
      });
      probs.set(part, from * m.classes);
    }
    const predictions = inputs.map((_, i) => {
      const p = Array.from(probs.subarray(i * m.classes, (i + 1) * m.classes));
      let label = 0;
      for (let k = 1; k < p.length; k++) if (p[k]! > p[label]!) label = k;
      return { label, probabilities: p };
    });
    return { predictions };
  }

  private async callerGone(job: Job<PredictJobData>): Promise<boolean> {
    if (job.data.deadline !== undefined && Date.now() > job.data.deadline) return true;
    return job.id !== undefined && (await this.requests.isAbandoned(job.id));
  }

  private async model(jobId: string): Promise<PredictModel> {
    const doc = await this.store.get(jobId);
    if (!doc) throw new PredictRefused(`job ${jobId} does not exist`);
    if (!doc.weights) throw new PredictRefused(`job ${jobId} has no weights yet`);
    const key = `${jobId}:${doc.weights.sha256}`;
    const hit = this.models.get(key);
    if (hit) {
      this.models.delete(key);
      this.models.set(key, hit);
      return hit;
    }
    const bytes = await this.store.getWeights(jobId);
    if (!bytes) throw new PredictRefused(`job ${jobId} has no weights yet`);
    const { tensors, metadata } = decodeSafetensors(bytes);
    const model = createModel(doc.spec.model);
    const weights = new SharedArrayBuffer(model.paramCount * 4);
    const running = new SharedArrayBuffer(Math.max(1, model.bufferCount) * 4);
    const owner = {
      params: model.params,
      weights: new Float32Array(weights),
      buffers: model.buffers,
      bufferValues: new Float32Array(running, 0, model.bufferCount),
    };
    try {
      loadWeights(owner, tensors);
    } catch (err) {
      // e.g. a batch-norm model's file without running statistics (written before the workers kept them)
      if (err instanceof WeightsError) throw new PredictRefused(`job ${jobId}'s weights do not fit its model: ${err.message}`);
      throw err;
    }
    const entry: PredictModel = {
      key,
      spec: doc.spec.model,
      weights,
      running,
      inputSize: model.inputSize,
      classes: model.classes,
      inputScale: Number(metadata.input_scale ?? '1') || 1,
      rows: inferenceRows(model.resolved),
    };
    this.models.set(key, entry);
    while (this.models.size > PREDICT_CACHE) this.models.delete(this.models.keys().next().value!);
    return entry;
  }
}
