// What a POST /v1/datasets request carries, read into one shape: the files (multipart), or the
// raw CSV body; the optional name and shape from form fields or the query.
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { LIMITS, PROBLEM_TYPES, type DatasetInfo, type ImageShape } from '../contracts/index.js';
import { ProblemError } from './errors.js';
import type { UploadParts } from './upload-thread.js';

export interface Upload {
  input: UploadParts;
  format: DatasetInfo['format'];
  name: string | undefined;
  shape: ImageShape | undefined;
}

const FILE_FIELDS = ['images', 'labels', 'file'];

/** `query`: the request's ?name= and ?shape= (form fields of the same names win). */
export async function readUpload(request: FastifyRequest, query: { name?: string; shape?: string }): Promise<Upload> {
  let name = query.name;
  let shapeRaw = query.shape;
  let shapeField = 'querystring/shape';
  let input: UploadParts;
  if (request.isMultipart()) {
    const files: Record<string, Uint8Array[]> = {};
    const parts = readParts(request);
    for await (const part of parts) {
      if (part.type === 'file') {
        if (!FILE_FIELDS.includes(part.fieldname)) {
          part.file.resume();
          throw invalid(part.fieldname, `unknown file field ${JSON.stringify(part.fieldname)} (expected images + labels, or file)`);
        }
        files[part.fieldname] = await fileBlocks(request, part);
      } else if (part.fieldname === 'name') {
        name = String(part.value);
      } else if (part.fieldname === 'shape') {
        shapeRaw = String(part.value);
        shapeField = 'shape';
      } else {
        throw invalid(part.fieldname, `unknown field ${JSON.stringify(part.fieldname)}`);
      }
    }
    if (files.file && !files.images && !files.labels) input = { csv: files.file, field: 'file' };
    else if (files.images && files.labels && !files.file) input = { images: files.images, labels: files.labels };
    else throw invalid('images', 'send files `images` and `labels` (IDX), or one file `file` (CSV)');
  } else if (Buffer.isBuffer(request.body)) {
    input = { csv: [request.body], field: 'body' };
  } else {
    throw new ProblemError(415, 'send multipart/form-data, text/csv or application/gzip', {
      type: PROBLEM_TYPES.unsupportedMedia,
      code: 'unsupported-media-type',
    });
  }
  if (name !== undefined && (name.length < 1 || name.length > 200)) throw invalid('name', 'name must be 1 to 200 characters');
  return { input, format: 'csv' in input ? 'csv' : 'idx', name, shape: parseShape(shapeRaw, shapeField) };
}

/**
 * The request's parts, with a body busboy cannot read (no boundary, cut short, not multipart at
 * all) a 400 instead of the plain Error it throws; the plugin's limit errors (413) pass unchanged.
 */
async function* readParts(request: FastifyRequest) {
  const iterator = request.parts()[Symbol.asyncIterator]();
  for (;;) {
    let next: Awaited<ReturnType<typeof iterator.next>>;
    try {
      next = await iterator.next();
    } catch (err) {
      const status = (err as { statusCode?: unknown }).statusCode;
      if (err instanceof ProblemError || (typeof status === 'number' && status < 500)) throw err;
      throw invalid('body', `the multipart body could not be read: ${(err as Error).message}`);
    }
    if (next.done) return;
    yield next.value;
  }
}

/** Blocks a file part is gathered into: ~256 for a 256 MiB file, moved to the parser thread in one message. */
const BLOCK_BYTES = 1024 * 1024;

/**
 * A file part's bytes as a list of 1 MiB blocks, never joined here: one 256 MiB Buffer.concat
 * (`part.toBuffer()`) held the event loop ~176 ms (bench/README.md). The parser thread joins them.
 * busboy's chunks are views into socket reads, which cannot be moved to a thread without moving
 * what else those buffers hold, so each chunk is copied into a block as it arrives (microseconds,
 * between reads); each block owns its ArrayBuffer and moves without a copy. As `toBuffer()`, a file
 * past the limit is a 413.
 */
async function fileBlocks(request: FastifyRequest, part: MultipartFile): Promise<Uint8Array[]> {
  const blocks: Uint8Array[] = [];
  let block = Buffer.allocUnsafeSlow(0);
  let used = 0;
  for await (const chunk of part.file as AsyncIterable<Buffer>) {
    for (let at = 0; at < chunk.byteLength; ) {
      if (used === block.byteLength) {
        if (used > 0) blocks.push(block);
        block = Buffer.allocUnsafeSlow(BLOCK_BYTES);
        used = 0;
      }
      const n = Math.min(block.byteLength - used, chunk.byteLength - at);
      block.set(chunk.subarray(at, at + n), used);
      used += n;
      at += n;
    }
  }
  if (part.file.truncated) throw new request.server.multipartErrors.RequestFileTooLargeError();
  if (used > 0) blocks.push(used === block.byteLength ? block : new Uint8Array(block.subarray(0, used)));
  return blocks;
}

function parseShape(raw: string | undefined, field: string): ImageShape | undefined {
  if (raw === undefined) return undefined;
  const m = /^\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*$/.exec(raw);
  const dims = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [];
  if (!m || dims.some((d) => d < 1 || d > 65_535)) throw invalid(field, `${field} must be "channels,height,width" with positive integers`);
  return dims as ImageShape;
}

/** A parsed dataset's shape must fit the API's bounds (else its DatasetInfo could not be answered). */
export function checkParsedShape([c, h, w]: readonly number[]): void {
  if (c! <= LIMITS.channels && h! <= LIMITS.side && w! <= LIMITS.side) return;
  throw new ProblemError(
    400,
    `samples of shape [${c}, ${h}, ${w}] are beyond the limits (${LIMITS.channels} channels, sides up to ${LIMITS.side}); a CSV row's pixels are [1, s, s] when square, else [1, 1, n]: give ?shape=c,h,w`,
    { type: PROBLEM_TYPES.dataset, field: 'shape', code: 'bad_shape' },
  );
}

const invalid = (field: string, detail: string) => new ProblemError(400, detail, { field, code: 'invalid' });
