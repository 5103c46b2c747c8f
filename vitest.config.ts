import { defineConfig } from 'vitest/config';

// Two tiers. `unit`: engine, contracts, datasets, docs and pure worker logic; no build, no Redis
// (`npm run test:unit`, well under a minute). `integration`: everything that needs the private
// redis-server (test/global-setup.ts) or the built dist/ (API, store, workers, chaos, browser).
// `npm test` runs both.
const INTEGRATION = [
  'test/api/**/*.test.ts',
  'test/browser/**/*.test.ts',
  'test/chaos/**/*.test.ts',
  'test/e2e/**/*.test.ts',
  'test/fuzz/**/*.test.ts',
  'test/store/**/*.test.ts',
  'test/docs/readme-walkthrough.test.ts',
  'test/redis-*.test.ts',
  'test/workers/worker.test.ts',
  'test/workers/step-sync.test.ts',
];

export default defineConfig({
  // Tests import the client as its users do (`convoy/client`), from the source.
  resolve: { alias: { 'convoy/client': new URL('./src/client/index.ts', import.meta.url).pathname } },
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: INTEGRATION },
      },
      {
        extends: true,
        test: { name: 'integration', include: INTEGRATION, globalSetup: ['test/global-setup.ts'] },
      },
    ],
  },
});
