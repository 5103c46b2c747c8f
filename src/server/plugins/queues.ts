// The BullMQ side of the API: `app.queues.train` (submit, cancel-while-queued), `app.queues.predict`
// and its QueueEvents (await a worker's prediction). Created on first use, so building the app for
// the OpenAPI document opens no connection. Closed in onClose.
import fp from 'fastify-plugin';
import { Queue, QueueEvents } from 'bullmq';
import { PREDICT_QUEUE, TRAIN_QUEUE, type PredictJobData, type PredictResult, type TrainJobData } from '../../contracts/index.js';

export interface Queues {
  readonly train: Queue<TrainJobData>;
  readonly predict: Queue<PredictJobData, PredictResult>;
  readonly predictEvents: QueueEvents;
}

declare module 'fastify' {
  interface FastifyInstance {
    queues: Queues;
  }
}

export default fp(
  async (app, opts: { prefix: string }) => {
    let train: Queue<TrainJobData> | undefined;
    let predict: Queue<PredictJobData, PredictResult> | undefined;
    let predictEvents: QueueEvents | undefined;
    let eventsConnection: ReturnType<typeof app.redis.duplicate> | undefined;
    const queues: Queues = {
      get train() {
        // Shares the API's connection: a Queue never blocks on it.
        train ??= new Queue<TrainJobData>(TRAIN_QUEUE, { connection: app.redis, prefix: opts.prefix });
        return train;
      },
      get predict() {
        predict ??= new Queue<PredictJobData, PredictResult>(PREDICT_QUEUE, { connection: app.redis, prefix: opts.prefix });
        return predict;
      },
      get predictEvents() {
        // QueueEvents blocks (XREAD) on a connection of its own.
        if (!predictEvents) {
          eventsConnection = app.redis.duplicate({ connectionName: 'convoy-api-predict-events' });
          predictEvents = new QueueEvents(PREDICT_QUEUE, { connection: eventsConnection, prefix: opts.prefix });
        }
        return predictEvents;
      },
    };
    app.decorate('queues', queues);
    app.addHook('onClose', async () => {
      await Promise.all([train?.close(), predict?.close(), predictEvents?.close()]);
      eventsConnection?.disconnect();
    });
  },
  { name: 'convoy-queues', dependencies: ['convoy-redis'] },
);
