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
  PROBLEM_TYPES,
  PaginationQuerySchema,
  ProblemSchema,
  type DatasetInfo,
  type ImageShape,
} from '../../contracts/index.js';
import { DatasetError, parseUpload, type Dataset } from '../../datasets/index.js';
import { ProblemError, notFound } from '../errors.js';
import type { ServerContext } from '../app.js';

const problems = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, ProblemSchema]));

const RAW_TYPES = ['text/csv', 'application/gzip'];

function parseShape(raw: string | undefined, field: string): ImageShape | undefined {
  if (raw === undefined) return undefined;
  const m = /^\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*$/.exec(raw);
  const dims = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [];
  if (!m || dims.some((d) => d < 1 || d > 65_535)) {
    throw new ProblemError(400, `${field} must be "channels,height,width" with positive integers`, { field, code: 'invalid' });
  }
  return dims as ImageShape;
}

function datasetProblem(err: DatasetError, prefix: string): ProblemError {
  return new ProblemError(400, err.message, {
    type: PROBLEM_TYPES.dataset,
    field: `${prefix}${err.field}`,
    code: err.code,
    extra: err.line !== undefined ? { line: err.line, ...(err.column !== undefined ? { column: err.column } : {}) } : {},
  });
}

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
      schema: {
        summary: 'Upload a dataset: IDX images + labels, or a CSV (gzipped or not)',
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
        response: { 201: DatasetInfoSchema, ...problems(400, 413, 415) },
      },
    },
    async (request, reply) => {
      let name = request.query.name;
      let shapeRaw = request.query.shape;
      let shapeField = 'querystring/shape';
      let ds: Dataset;
      let format: DatasetInfo['format'];
      if (request.isMultipart()) {
        const files: Record<string, Buffer> = {};
        for await (const part of request.parts()) {
          if (part.type === 'file') {
            if (!['images', 'labels', 'file'].includes(part.fieldname)) {
              part.file.resume();
              throw new ProblemError(400, `unknown file field ${JSON.stringify(part.fieldname)} (expected images + labels, or file)`, {
                field: part.fieldname,
                code: 'invalid',
              });
            }
            files[part.fieldname] = await part.toBuffer();
          } else if (part.fieldname === 'name') {
            name = String(part.value);
          } else if (part.fieldname === 'shape') {
            shapeRaw = String(part.value);
            shapeField = 'shape';
          } else {
            throw new ProblemError(400, `unknown field ${JSON.stringify(part.fieldname)}`, { field: part.fieldname, code: 'invalid' });
          }
        }
        const shape = parseShape(shapeRaw, shapeField);
        try {
          if (files.file && !files.images && !files.labels) {
            format = 'csv';
            ds = parseUpload({ csv: files.file }, { maxBytes, ...(shape ? { shape } : {}) });
          } else if (files.images && files.labels && !files.file) {
            format = 'idx';
            ds = parseUpload({ images: files.images, labels: files.labels }, { maxBytes, ...(shape ? { shape } : {}) });
          } else {
            throw new ProblemError(400, 'send files `images` and `labels` (IDX), or one file `file` (CSV)', {
              field: 'images',
              code: 'invalid',
            });
          }
        } catch (err) {
          if (err instanceof DatasetError) throw datasetProblem(err, format! === 'csv' ? 'file/' : '');
          throw err;
        }
      } else if (Buffer.isBuffer(request.body)) {
        format = 'csv';
        const shape = parseShape(shapeRaw, shapeField);
        try {
          ds = parseUpload({ csv: request.body }, { maxBytes, ...(shape ? { shape } : {}) });
        } catch (err) {
          if (err instanceof DatasetError) throw datasetProblem(err, 'body/');
          throw err;
        }
      } else {
        throw new ProblemError(415, 'send multipart/form-data, text/csv or application/gzip', {
          type: PROBLEM_TYPES.unsupportedMedia,
          code: 'unsupported-media-type',
        });
      }
      if (name !== undefined && (name.length < 1 || name.length > 200)) {
        throw new ProblemError(400, 'name must be 1 to 200 characters', { field: 'name', code: 'invalid' });
      }
      const info = await app.datasets.put(ds, { name, format });
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
        tags: ['datasets'],
        querystring: PaginationQuerySchema,
        response: { 200: DatasetListSchema, ...problems(400) },
      },
    },
    async (request) => {
      try {
        return await app.datasets.list(request.query.limit ?? 20, request.query.cursor);
      } catch {
        throw new ProblemError(400, 'querystring/cursor is not a cursor this API returned', {
          field: 'querystring/cursor',
          code: 'invalid',
        });
      }
    },
  );

  app.get(
    '/v1/datasets/:id',
    {
      schema: {
        summary: 'An uploaded dataset',
        tags: ['datasets'],
        params: IdParamsSchema,
        response: { 200: DatasetInfoSchema, ...problems(404) },
      },
    },
    async (request) => {
      const info = await app.datasets.info(request.params.id);
      if (!info) throw notFound('dataset', request.params.id);
      return info;
    },
  );

  app.delete(
    '/v1/datasets/:id',
    {
      schema: {
        summary: 'Delete an uploaded dataset (jobs that have loaded it keep training; queued jobs that use it will fail)',
        tags: ['datasets'],
        params: IdParamsSchema,
        response: { 204: Type.Null(), ...problems(404) },
      },
    },
    async (request, reply) => {
      if (!(await app.datasets.delete(request.params.id))) throw notFound('dataset', request.params.id);
      return reply.code(204).send(null);
    },
  );
};

export default datasetsRoutes;
