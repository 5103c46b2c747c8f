// GET /v1/jobs/{id}/weights and POST /v1/jobs/{id}/predict.
import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { FastifyReply } from 'fastify';
import { IdParamsSchema, PROBLEM_TYPES, PredictRequestSchema, PredictResponseSchema, TensorOutputSchema } from '../../contracts/index.js';
import { resolveSpec } from '../../engine/describe.js';
import { ProblemError, invalidField, problems } from '../errors.js';
import { loadJob } from '../access.js';
import { safetensorsToJson } from '../safetensors-json.js';
import { toOnnx } from '../../onnx/index.js';
import { checkPredictBudget, requestPrediction } from '../predict.js';
import type { ServerContext } from '../app.js';

export const WeightsJsonSchema = Type.Object({
  id: Type.String(),
  sha256: Type.String(),
  bytes: Type.Integer(),
  tensors: Type.Array(TensorOutputSchema),
});

type WeightsFormat = 'json' | 'safetensors' | 'onnx';

/** ?format= when given; else safetensors for an Accept header preferring octet-stream over JSON, else JSON. */
function formatOf(format: WeightsFormat | undefined, accept: string | undefined): WeightsFormat {
  if (format) return format;
  if (!accept) return 'json';
  const types = accept.split(',').map((p) => p.trim().split(';')[0]!.toLowerCase());
  const bin = types.indexOf('application/octet-stream');
  const json = types.indexOf('application/json');
  return bin !== -1 && (json === -1 || bin < json) ? 'safetensors' : 'json';
}

const weightsRoutes: FastifyPluginAsyncTypebox<ServerContext> = async (app, ctx) => {
  app.get(
    '/v1/jobs/:id/weights',
    {
      schema: {
        summary: 'The final (or partial, when cancelled) weights: JSON tensors, safetensors bytes or an ONNX model',
        operationId: 'getJobWeights',
        description:
          'safetensors with `?format=safetensors` or `Accept: application/octet-stream`; `?format=onnx`: the model and its ' +
          'weights as an ONNX file (opset 13; input `input` [N, C, H, W] taking the values POST /v1/jobs/{id}/predict takes, ' +
          'outputs `logits` and `probabilities`, the probabilities predict answers). ETag is the sha256 of the safetensors bytes (with `.onnx` appended for ONNX).',
        tags: ['jobs'],
        params: IdParamsSchema,
        querystring: Type.Object({ format: Type.Optional(Type.Enum(['json', 'safetensors', 'onnx'])) }, { additionalProperties: false }),
        produces: ['application/json', 'application/octet-stream', 'application/onnx'],
        response: {
          200: {
            description: 'the weights',
            content: {
              'application/json': { schema: WeightsJsonSchema },
              'application/octet-stream': { schema: Type.String({ format: 'binary' }) },
              'application/onnx': { schema: Type.String({ format: 'binary' }) },
            },
          },
          304: { description: 'not modified (If-None-Match)', type: 'null' },
          ...problems(401, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const doc = await loadJob(app, request, id);
      const bytes = await app.store.getWeights(id);
      if (!bytes) {
        throw new ProblemError(409, `job ${id} has no weights yet (it is ${doc.status})`, {
          type: PROBLEM_TYPES.notReady,
          code: 'no-weights',
          extra: { jobStatus: doc.status },
        });
      }
      const format = formatOf(request.query.format, request.headers.accept);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const etag = format === 'onnx' ? `"${sha256}.onnx"` : `"${sha256}"`;
      reply.header('etag', etag).header('vary', 'accept');
      const inm = request.headers['if-none-match'];
      if (inm?.split(',').some((t) => t.trim() === etag || t.trim() === `W/${etag}` || t.trim() === '*')) {
        return reply.code(304).send(null);
      }
      if (format !== 'json') {
        // The ONNX file is built per request, a pure function of the stored spec and weights: some
        // 30 ms for fashion-cnn's 1.2 M parameters, cheap beside the download it serves.
        const file = format === 'onnx' ? Buffer.from(toOnnx(doc.spec.model, bytes, { name: id, doc: `Convoy job ${id}` })) : bytes;
        return (reply as unknown as FastifyReply)
          .type(format === 'onnx' ? 'application/onnx' : 'application/octet-stream')
          .header('content-disposition', `attachment; filename="${id}.${format}"`)
          .send(file);
      }
      return reply.type('application/json').send({ id, sha256, bytes: bytes.length, tensors: safetensorsToJson(bytes) });
    },
  );

  app.post(
    '/v1/jobs/:id/predict',
    {
      schema: {
        summary: "Class probabilities for inputs, with the job's weights (computed by a worker)",
        operationId: 'predict',
        description:
          "Runs the inputs through the trained model on a worker thread and answers each input's label and class probabilities. 409 while the job has no weights; 504 when no worker answers in time.",
        tags: ['jobs'],
        params: IdParamsSchema,
        body: PredictRequestSchema,
        response: { 200: PredictResponseSchema, ...problems(400, 401, 404, 409, 422, 503, 504) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const doc = await loadJob(app, request, id);
      if (!(await app.store.hasWeights(id))) {
        throw new ProblemError(409, `job ${id} has no weights yet (it is ${doc.status})`, {
          type: PROBLEM_TYPES.notReady,
          code: 'no-weights',
        });
      }
      const [c, h, w] = doc.spec.model.input;
      const size = c * h * w;
      request.body.inputs.forEach((x, i) => {
        if (x.length !== size) throw invalidField(`/inputs/${i}`, `has ${x.length} values; the model takes [${c}, ${h}, ${w}] = ${size}`);
      });
      checkPredictBudget(resolveSpec(doc.spec.model), request.body.inputs.length, ctx.config.quotas.maxPredictFlops);
      // The client closing the connection before the answer is the caller going away.
      const gone = new Promise<void>((resolve) => reply.raw.once('close', () => !reply.raw.writableFinished && resolve()));
      const timeoutMs = ctx.config.api.predictTimeoutMs;
      const result = await requestPrediction(app, { jobId: id, inputs: request.body.inputs, timeoutMs, gone });
      if (result === 'gone') return reply.hijack(); // nobody is there to answer
      // abandoned: the worker saw the deadline pass before this process's timer did
      if (result === 'timeout' || 'abandoned' in result) {
        throw new ProblemError(504, `no worker answered within ${timeoutMs} ms`, { code: 'predict-timeout' });
      }
      if ('refused' in result) throw new ProblemError(422, result.refused, { type: PROBLEM_TYPES.predict, code: 'predict-failed' });
      return result;
    },
  );
};

export default weightsRoutes;
