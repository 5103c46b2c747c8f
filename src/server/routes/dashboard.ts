// GET /: the dashboard, static files from the repository's web/ folder, plus what it loads from
// our own origin (nothing from a CDN): uPlot from node_modules at /vendor/uplot/, and the README's
// job examples (examples/*.json) at /examples/. Files are listed when the app starts (wildcard off),
// so any other path, /v1/... included, still gets the API's JSON 404. The dashboard is public; its
// API calls carry the key the person enters (the page keeps it in sessionStorage).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

/** The repository root: the first folder above this file holding web/index.html (src/ or dist/src/). */
function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++, dir = dirname(dir)) if (existsSync(join(dir, 'web', 'index.html'))) return dir;
  throw new Error('web/index.html not found above src/server/routes: the dashboard files are missing');
}

const dashboardRoutes: FastifyPluginAsync = async (app) => {
  const root = repositoryRoot();
  const uplot = dirname(createRequire(import.meta.url).resolve('uplot/package.json'));
  const common = { wildcard: false, decorateReply: false, schemaHide: true, cacheControl: true, maxAge: 60_000 } as const;
  await app.register(fastifyStatic, { ...common, root: join(root, 'web'), prefix: '/', index: 'index.html' });
  await app.register(fastifyStatic, {
    ...common,
    root: resolve(uplot, 'dist'),
    prefix: '/vendor/uplot/',
    allowedPath: (path) => /^\/uPlot\.(esm\.js|min\.css)$/.test(path),
  });
  await app.register(fastifyStatic, {
    ...common,
    root: join(root, 'examples'),
    prefix: '/examples/',
    allowedPath: (path) => /^\/[a-z0-9-]+\.json$/.test(path),
  });
};

export default dashboardRoutes;
