// Newest-first pages over a sorted set scored by creation time (jobs, datasets). The cursor is
// opaque to clients: the last item's (score, id), so a page never repeats or skips an item even
// when several share a score (members with equal scores sort by id, descending).
//
// A filtered page (`keep`) looks at no more than MAX_SCANNED items: when that many did not give a
// full page, it ends with what matched (possibly nothing) and a cursor after the last item looked
// at, so one request costs a bounded number of reads however rare the matches are.
import type { Redis } from 'ioredis';
import { InvalidCursorError } from './errors.js';

export interface Page {
  ids: string[];
  nextCursor: string | undefined;
}

export interface PageFilter {
  /** Only items scored at or above this (creation time, ms). */
  minScore?: number;
  /** Only items scored below this (creation time, ms). */
  belowScore?: number;
  /** Which of these ids match (one answer each, in order); without it every item does. */
  keep?: (ids: string[]) => Promise<boolean[]>;
}

/** The most items a filtered page looks at. */
export const MAX_SCANNED = 1000;

export async function newestFirst(redis: Redis, key: string, limit: number, cursor?: string, filter: PageFilter = {}): Promise<Page> {
  const after = cursor === undefined ? undefined : decodeCursor(cursor);
  // From the cursor on, and below the time bound (a cursor taken with other filters may sit above it).
  const below = filter.belowScore !== undefined ? `(${filter.belowScore}` : '+inf';
  const max = after && (filter.belowScore === undefined || after.score < filter.belowScore) ? String(after.score) : below;
  const min = filter.minScore !== undefined ? String(filter.minScore) : '-inf';
  const ids: string[] = [];
  const scores: number[] = [];
  let lastSeen: { score: number; id: string } | undefined;
  let scanned = 0;
  let exhausted = false;
  for (let offset = 0; ids.length <= limit; ) {
    const count = filter.keep ? Math.min(limit + 1, MAX_SCANNED - scanned) : limit + 1;
    if (count <= 0) break;
    const rows = await redis.zrevrangebyscore(key, max, min, 'WITHSCORES', 'LIMIT', offset, count);
    const batch: { id: string; score: number }[] = [];
    for (let i = 0; i < rows.length; i += 2) {
      const id = rows[i]!;
      const score = Number(rows[i + 1]);
      if (after && score === after.score && id >= after.id) continue; // returned on an earlier page
      batch.push({ id, score });
    }
    const kept = filter.keep && batch.length > 0 ? await filter.keep(batch.map((b) => b.id)) : batch.map(() => true);
    batch.forEach((b, i) => {
      if (!kept[i]) return;
      ids.push(b.id);
      scores.push(b.score);
    });
    lastSeen = batch.at(-1) ?? lastSeen;
    offset += rows.length / 2;
    scanned += rows.length / 2;
    if (rows.length / 2 < count) {
      exhausted = true;
      break;
    }
  }
  if (ids.length > limit) return { ids: ids.slice(0, limit), nextCursor: encodeCursor(scores[limit - 1]!, ids[limit - 1]!) };
  // The scan budget ran out before the set did: go on after the last item looked at.
  const more = !exhausted && lastSeen !== undefined;
  return { ids, nextCursor: more ? encodeCursor(lastSeen!.score, lastSeen!.id) : undefined };
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
