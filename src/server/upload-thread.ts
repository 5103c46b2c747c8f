// The upload parser's thread (src/server/upload-parser.ts): gunzip, parse (IDX or CSV) and encode a
// dataset off the API's event loop. Answers the encoded bytes (moved, not copied), or the
// DatasetError's parts (an Error's own fields do not survive the trip between threads).
import { move } from 'piscina';
import { DatasetError, encodeDataset, parseUpload, type UploadInput, type UploadOptions } from '../datasets/index.js';

export interface UploadTask {
  input: UploadInput;
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
    return move(encodeDataset(parseUpload(input, opts))) as unknown as Uint8Array;
  } catch (err) {
    if (!(err instanceof DatasetError)) throw err;
    return { refused: { code: err.code, field: err.field, message: err.message, line: err.line, column: err.column } };
  }
}
