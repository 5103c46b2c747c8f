// Reading a Convoy event stream over fetch (Node 20 and browsers alike: fetch can send the
// Authorization header, which EventSource cannot), resuming with Last-Event-ID after a drop, as
// EventSource would. Frames are parsed by eventsource-parser.
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { ConvoyError, problemOf } from './errors.js';

export interface StreamOptions {
  /** Resume after this event id (sent as Last-Event-ID); undefined: the server's default start. */
  lastEventId?: string | undefined;
  /** Stops the stream (the iterator ends). */
  signal?: AbortSignal | undefined;
  /** How long to wait before reconnecting when the server said nothing (`retry:`), ms. */
  retryMs?: number;
  /** Give up after this many reconnections in a row without an event. */
  maxRetries?: number;
}

export interface RawEvent {
  id: string | undefined;
  event: string;
  data: string;
}

/**
 * The frames of `url`, across reconnections: a dropped connection or a stream that ends is
 * reopened with the last id seen, until `done(frame)` says the stream is complete, the server
 * answers 204 (nothing more will come), or the signal aborts. A 4xx answer throws ConvoyError.
 */
export async function* readStream(
  fetchFn: typeof fetch,
  url: string,
  headers: Record<string, string>,
  done: (frame: RawEvent) => boolean,
  options: StreamOptions = {},
): AsyncGenerator<RawEvent> {
  let lastEventId = options.lastEventId;
  let retryMs = options.retryMs ?? 2000;
  let failures = 0;
  const maxRetries = options.maxRetries ?? 20;
  while (!options.signal?.aborted) {
    let res: Response;
    try {
      res = await fetchFn(url, {
        headers: { accept: 'text/event-stream', ...headers, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (err) {
      if (options.signal?.aborted) return;
      if (++failures > maxRetries) throw err;
      await sleep(retryMs, options.signal);
      continue;
    }
    if (res.status === 204) return;
    if (res.status >= 400 && res.status < 500) throw new ConvoyError(await problemOf(res));
    if (!res.ok || !res.body) {
      if (++failures > maxRetries) throw new ConvoyError(await problemOf(res));
      await sleep(retryMs, options.signal);
      continue;
    }
    const queue: RawEvent[] = [];
    const parser = createParser({
      onEvent: (m: EventSourceMessage) => queue.push({ id: m.id, event: m.event ?? 'message', data: m.data }),
      onRetry: (ms: number) => {
        retryMs = ms;
      },
    });
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { value, done: ended } = await reader.read();
        if (ended) break;
        parser.feed(decoder.decode(value, { stream: true }));
        while (queue.length > 0) {
          const frame = queue.shift()!;
          if (frame.id) lastEventId = frame.id;
          failures = 0;
          yield frame;
          if (done(frame)) return;
        }
      }
    } catch (err) {
      if (options.signal?.aborted) return;
      if (++failures > maxRetries) throw err;
    } finally {
      // Whether the stream ended, failed, or the caller stopped iterating: close this connection.
      await reader.cancel().catch(() => undefined);
    }
    await sleep(retryMs, options.signal);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
