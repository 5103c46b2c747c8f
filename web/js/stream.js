// An event stream that survives network drops. EventSource's own retry cannot renew the stream
// token, so on any error we close it, wait (doubling, up to 8 s; at once when the browser says it
// is back online), take a new token and reopen with ?after=<the last id we applied>. Ids are Redis
// stream ids ("ms-seq"), increasing: an event at or before the last applied one is a duplicate
// and dropped, so a reconnect loses nothing and repeats nothing.

/** Whether stream id a comes after b. */
export function idAfter(a, b) {
  if (!b) return true;
  const [am, as] = a.split('-').map(BigInt);
  const [bm, bs] = b.split('-').map(BigInt);
  return am > bm || (am === bm && as > bs);
}

/**
 * follow(url, types, onEvent, onState): url(after) builds the URL (a promise); onEvent(type, data, id)
 * gets each event once, in order; onState('connecting' | 'live' | 'reconnecting' | 'closed').
 * `after` starts the stream after an id ('0-0': the whole log). Returns { close(), connections }.
 */
export function follow({ url, types, onEvent, onState = () => {}, after = null }) {
  let last = after;
  let source = null;
  let delay = 500;
  let timer = null;
  let closed = false;
  const handle = {
    connections: 0,
    close,
    get lastId() {
      return last;
    },
  };

  async function open() {
    timer = null;
    if (closed) return;
    onState(handle.connections ? 'reconnecting' : 'connecting');
    let href;
    try {
      href = await url(last);
    } catch {
      return retry();
    }
    if (closed) return;
    source = new EventSource(href);
    handle.connections++;
    source.onopen = () => {
      delay = 500;
      onState('live');
    };
    source.onerror = () => {
      source?.close();
      retry();
    };
    for (const type of types) {
      source.addEventListener(type, (e) => {
        if (type !== 'snapshot') {
          if (!e.lastEventId || !idAfter(e.lastEventId, last)) return;
          last = e.lastEventId;
        }
        onEvent(type, JSON.parse(e.data), e.lastEventId);
      });
    }
  }

  function retry() {
    if (closed || timer) return;
    onState('reconnecting');
    timer = setTimeout(open, delay);
    delay = Math.min(delay * 2, 8000);
  }

  function online() {
    if (closed || !timer) return;
    clearTimeout(timer);
    open();
  }

  function close() {
    closed = true;
    clearTimeout(timer);
    source?.close();
    window.removeEventListener('online', online);
    onState('closed');
  }

  window.addEventListener('online', online);
  open();
  return handle;
}
