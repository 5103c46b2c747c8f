// Newest-first pages over a sorted set scored by creation time (jobs, datasets). The cursor is
// opaque to clients: the last item's (score, id), so a page never repeats or skips an item even
// when several share a score (members with equal scores sort by id, descending).
import type { Redis } from 'ioredis';
import { InvalidCursorError } from './errors.js';

export interface Page {
  ids: string[];
  nextCursor: string | undefined;
}

export async function newestFirst(redis: Redis, key: string, limit: number, cursor?: string): Promise<Page> {
  const after = cursor === undefined ? undefined : decodeCursor(cursor);
  const max = after ? String(after.score) : '+inf';
  const ids: string[] = [];
  const scores: number[] = [];
  for (let offset = 0; ids.length <= limit; ) {
    const rows = await redis.zrevrangebyscore(key, max, '-inf', 'WITHSCORES', 'LIMIT', offset, limit + 1);
    if (rows.length === 0) break;
    for (let i = 0; i < rows.length; i += 2) {
      const id = rows[i]!;
      const score = Number(rows[i + 1]);
      if (after && score === after.score && id >= after.id) continue; // returned on an earlier page
      ids.push(id);
      scores.push(score);
    }
    offset += rows.length / 2;
  }
  const page = ids.slice(0, limit);
  const last = page.length - 1;
  return { ids: page, nextCursor: ids.length > limit ? encodeCursor(scores[last]!, page[last]!) : undefined };
}

function encodeCursor(score: number, id: string): string {
  return Buffer.from(JSON.stringify([score, id])).toString('base64url');
}

function decodeCursor(cursor: string): { score: number; id: string } {
  try {
    const [score, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [unknown, unknown];
    if (typeof score === 'number' && typeof id === 'string') return { score, id };
  } catch {
    // not base64url JSON: fall through
  }
  throw new InvalidCursorError(cursor);
}
