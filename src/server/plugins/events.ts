// `app.events`: the process's one shared event-log reader (see ../event-hub.ts); `app.sseSessions`:
// its open event streams and their per-tenant slots (see ../sse-session.ts). Closed on shutdown.
import fp from 'fastify-plugin';
import { EventHub } from '../event-hub.js';
import { SseSessions } from '../sse-session.js';

declare module 'fastify' {
  interface FastifyInstance {
    events: EventHub;
    sseSessions: SseSessions;
  }
}

export default fp(
  async (app, opts: { blockMs: number; maxStreamsPerTenant: number }) => {
    const hub = new EventHub(app.store, app.log.child({ component: 'event-hub' }), opts.blockMs);
    app.decorate('events', hub);
    app.decorate('sseSessions', new SseSessions(app, opts.maxStreamsPerTenant));
    // preClose: end the streams (their clients reconnect to another API process with Last-Event-ID),
    // then the loop, before the connections are torn down and Redis closes.
    app.addHook('preClose', async () => {
      app.sseSessions.closeAll();
      await hub.close();
    });
  },
  { name: 'convoy-events', dependencies: ['convoy-redis'] },
);
