// The OpenAPI document of the app, built without touching Redis (connections are lazy) and with
// default configuration, so the same code always gives the same document.
import { loadConfig } from '../config.js';
import { buildApp } from './app.js';

export async function generateOpenApiYaml(): Promise<string> {
  const app = await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent' }), logger: false });
  try {
    await app.ready();
    return app.swagger({ yaml: true });
  } finally {
    await app.close();
  }
}
