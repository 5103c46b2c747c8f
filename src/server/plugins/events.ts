// `app.events`: the process's one shared event-log reader (see ../event-hub.ts). Closed in onClose.
import fp from 'fastify-plugin';
import { EventHub } from '../event-hub.js';

declare module 'fastify' {
  interface FastifyInstance {
    events: EventHub;
  }
}

export default fp(
  async (app, opts: { blockMs: number }) => {
    const hub = new EventHub(app.store, app.log.child({ component: 'event-hub' }), opts.blockMs);
    app.decorate('events', hub);
    // preClose: end the loop before the SSE connections are torn down and Redis closes.
    app.addHook('preClose', async () => {
      await hub.close();
    });
  },
  { name: 'convoy-events', dependencies: ['convoy-redis'] },
);
