// Uploads are parsed off the event loop: gunzipping and parsing a 256 MiB CSV takes seconds of CPU,
// during which /healthz, event streams and every other request would wait. One Piscina thread
// (started on the first upload, gone after a minute idle) does it. A multipart file reaches it as
// 1 MiB blocks (src/server/uploads.ts) that move without a copy, and the thread joins them; the
// encoded dataset moves back. So no whole-file copy is made on the loop, except for a raw CSV body
// that is a view into a larger buffer: that is cloned when it is sent.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { DatasetError, type UploadOptions } from '../datasets/index.js';
import type { UploadParts, UploadRefusal, UploadTask } from './upload-thread.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Parses uploads on a thread of its own (POST /v1/datasets). */
    uploadParser: UploadParser;
  }
}

function threadFile(): string {
  const here = new URL('./upload-thread.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here.href;
  const dist = new URL('../../dist/src/server/upload-thread.js', import.meta.url); // tests run the sources
  if (existsSync(fileURLToPath(dist))) return dist.href;
  throw new Error(`upload thread file not found: ${fileURLToPath(here)} (run \`npm run build\`)`);
}

/** The whole ArrayBuffers of `parts` that can be moved (never a slice of Node's shared Buffer pool), each once. */
function movable(parts: Uint8Array[]): ArrayBuffer[] {
  const whole = parts.filter((p) => p.byteOffset === 0 && p.byteLength === p.buffer.byteLength && p.buffer instanceof ArrayBuffer);
  return [...new Set(whole.map((p) => p.buffer as ArrayBuffer))];
}

export class UploadParser {
  private pool: Piscina<UploadTask, Uint8Array | { refused: UploadRefusal }> | undefined;

  /** Parsed uploads so far (each ran on the parser's thread). */
  get completed(): number {
    return this.pool?.completed ?? 0;
  }

  /** The encoded dataset (src/datasets/codec.ts) of an upload; DatasetError when it is not one. */
  async parse(input: UploadParts, opts: UploadOptions): Promise<Uint8Array> {
    this.pool ??= new Piscina({ filename: threadFile(), minThreads: 0, maxThreads: 1, idleTimeout: 60_000 });
    const chunks = 'csv' in input ? input.csv : [...input.images, ...input.labels];
    const result = await this.pool.run({ input, opts }, { transferList: movable(chunks) });
    if (result instanceof Uint8Array) return result;
    const { code, field, message, line, column } = result.refused;
    throw new DatasetError(code, field, message, line === undefined ? undefined : { line, ...(column !== undefined ? { column } : {}) });
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
  }
}
