// /v1/datasets: upload (IDX images + labels, or CSV; gzipped or not), list, read, delete.
//
// Accepted request bodies:
//   multipart/form-data   files `images` + `labels` (IDX, optionally .gz), or one file `file` (CSV, optionally .gz);
//                         optional text fields `name`, `shape` (CSV: "c,h,w")
//   text/csv              the CSV itself (`label,p0,p1,...` per row); ?name= and ?shape= in the query
//   application/gzip      a gzipped CSV; ?name= and ?shape= in the query
// A raw application/octet-stream body is not accepted: an IDX dataset is two files, use multipart.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import multipart from '@fastify/multipart';
import Type from 'typebox';
import {
  DatasetInfoSchema,
  DatasetListSchema,
  DatasetUploadQuerySchema,
  IdParamsSchema,
  PaginationQuerySchema,
  TenantSchema,
} from '../../contracts/index.js';
import { listedTenant, loadDataset, visibleJobIds } from '../access.js';
import { DatasetInUseError } from '../../store/index.js';
import { principalOf } from '../plugins/auth.js';
import { readDatasetHeader } from '../../datasets/index.js';
import { notFound, problems } from '../errors.js';
import { checkParsedShape, readUpload } from '../uploads.js';
import { storageGuard } from '../storage-guard.js';
import type { ServerContext } from '../app.js';

const RAW_TYPES = ['text/csv', 'application/gzip'];

const datasetsRoutes: FastifyPluginAsyncTypebox<ServerContext> = async (app, ctx) => {
  const maxBytes = ctx.config.api.datasetMaxBytes;
  await app.register(multipart, {
    limits: { fileSize: maxBytes, files: 2, fields: 10, fieldSize: 1024, parts: 12 },
  });
  app.addContentTypeParser(RAW_TYPES, { parseAs: 'buffer', bodyLimit: maxBytes }, (_req, body, done) => done(null, body));

  app.post(
    '/v1/datasets',
    {
      bodyLimit: maxBytes,
      onRequest: storageGuard(app, ctx.config.api.redisHighWaterRatio),
      schema: {
        summary: 'Upload a dataset: IDX images + labels, or a CSV (gzipped or not)',
        operationId: 'uploadDataset',
        description:
          'multipart/form-data with files `images` and `labels` (IDX) or `file` (CSV), optional fields `name`, `shape`; ' +
          'or a raw `text/csv` / `application/gzip` body with `?name=` and `?shape=`.',
        tags: ['datasets'],
        querystring: DatasetUploadQuerySchema,
        consumes: ['multipart/form-data', ...RAW_TYPES],
        body: {
          content: {
            'multipart/form-data': {
              schema: {
                properties: {
                  images: { type: 'string', format: 'binary', description: 'IDX images (magic 0x00000803), optionally gzipped' },
                  labels: { type: 'string', format: 'binary', description: 'IDX labels (magic 0x00000801), optionally gzipped' },
                  file: { type: 'string', format: 'binary', description: 'CSV `label,p0,p1,...`, optionally gzipped' },
                  name: { type: 'string' },
                  shape: { type: 'string', description: 'CSV only: c,h,w' },
                },
              },
            },
            'text/csv': { schema: { description: 'CSV `label,p0,p1,...`, one sample per row' } },
            'application/gzip': { schema: { description: 'gzipped CSV' } },
          },
        },
        response: { 201: DatasetInfoSchema, ...problems(400, 401, 413, 415, 429, 503) },
      },
    },
    async (request, reply) => {
      const upload = await readUpload(request, request.query);
      // Parsed on the upload thread (src/server/upload-parser.ts), never on the event loop.
      const bytes = await app.uploadParser.parse(upload.input, { maxBytes, ...(upload.shape ? { shape: upload.shape } : {}) });
      checkParsedShape(readDatasetHeader(bytes).shape);
      const { tenant } = principalOf(request);
      const { quotas } = await app.tenants.quotas(tenant);
      const info = await app.datasets.putEncoded(bytes, { name: upload.name, format: upload.format, tenant }, quotas);
      return reply
        .code(201)
        .header('location', `${ctx.config.api.publicUrl ?? ''}/v1/datasets/${info.id}`)
        .send(info);
    },
  );

  app.get(
    '/v1/datasets',
    {
      schema: {
        summary: 'List uploaded datasets, newest first',
        operationId: 'listDatasets',
        description:
          "The caller's uploaded datasets (an admin's: every tenant's, or one with `?tenant=`), newest first, paged with `nextCursor`.",
        tags: ['datasets'],
        querystring: Type.Object(
          { ...PaginationQuerySchema.properties, tenant: Type.Optional(TenantSchema) },
          { additionalProperties: false },
        ),
        response: { 200: DatasetListSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      const { limit, cursor, tenant } = request.query;
      return app.datasets.list({ tenant: listedTenant(request, tenant), limit: limit ?? 20, cursor });
    },
  );

  app.get(
    '/v1/datasets/:id',
    {
      schema: {
        summary: 'An uploaded dataset',
        operationId: 'getDataset',
        description: "An uploaded dataset's shape, classes, sample count and size.",
        tags: ['datasets'],
        params: IdParamsSchema,
        response: { 200: DatasetInfoSchema, ...problems(401, 404) },
      },
    },
    async (request) => loadDataset(app, request, request.params.id),
  );

  app.delete(
    '/v1/datasets/:id',
    {
      schema: {
        summary: 'Delete a dataset unless unfinished jobs need it',
        operationId: 'deleteDataset',
        description:
          'Removes the dataset and gives its tenant the room back. While unfinished jobs need it, answers 409 with code `dataset-in-use` naming them.',
        tags: ['datasets'],
        params: IdParamsSchema,
        response: { 204: Type.Null(), ...problems(401, 404, 409) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      await loadDataset(app, request, id);
      const deleted = await app.datasets.delete(id).catch(async (err: unknown) => {
        if (!(err instanceof DatasetInUseError)) throw err;
        throw new DatasetInUseError(id, await visibleJobIds(app, request, err.jobIds), err.count);
      });
      if (!deleted) throw notFound('dataset', id);
      return reply.code(204).send(null);
    },
  );
};

export default datasetsRoutes;
