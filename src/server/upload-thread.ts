// The upload parser's thread (src/server/upload-parser.ts): join the request's chunks, gunzip, parse
// (IDX or CSV) and encode a dataset off the API's event loop. Answers the encoded bytes (moved, not
// copied), or the DatasetError's parts (an Error's own fields do not survive the trip between threads).
import { move } from 'piscina';
import { DatasetError, encodeDataset, parseUpload, type UploadInput, type UploadOptions } from '../datasets/index.js';

/** An upload's files as the chunks they arrived in (src/server/uploads.ts), joined here. */
export type UploadParts = { images: Uint8Array[]; labels: Uint8Array[] } | { csv: Uint8Array[]; field?: string };

export interface UploadTask {
  input: UploadParts;
  opts: UploadOptions;
}

export interface UploadRefusal {
  code: DatasetError['code'];
  field: string;
  message: string;
  line: number | undefined;
  column: number | undefined;
}

export default function parse({ input, opts }: UploadTask): Uint8Array | { refused: UploadRefusal } {
  try {
    return move(encodeDataset(parseUpload(joined(input), opts))) as unknown as Uint8Array;
  } catch (err) {
    if (!(err instanceof DatasetError)) throw err;
    return { refused: { code: err.code, field: err.field, message: err.message, line: err.line, column: err.column } };
  }
}

/** A file of one chunk is used as it is; several are copied into one buffer, here on the thread. */
function joined(input: UploadParts): UploadInput {
  const join = (chunks: Uint8Array[]) => (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
  return 'csv' in input
    ? { csv: join(input.csv), ...(input.field !== undefined ? { field: input.field } : {}) }
    : { images: join(input.images), labels: join(input.labels) };
}
