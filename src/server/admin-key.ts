// The bootstrap admin key: CONVOY_ADMIN_KEY when set (deployments take it from their secret store);
// otherwise the key in CONVOY_ADMIN_KEY_FILE (default .convoy/admin.key), created on first start
// with mode 0600. The log names the file, never the key.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Logger } from 'pino';
import { API_KEY_PREFIX } from '../contracts/index.js';
import { newSecret } from '../store/index.js';
import type { AuthConfig } from '../config.js';

const KEY_SHAPE = /^cvy_[A-Za-z0-9_-]{32,}$/;

export function resolveAdminKey(auth: AuthConfig, log: Pick<Logger, 'info'>): string {
  if (auth.adminKey) {
    if (!KEY_SHAPE.test(auth.adminKey))
      throw new Error(`CONVOY_ADMIN_KEY must look like ${API_KEY_PREFIX}<at least 32 URL-safe characters>`);
    return auth.adminKey;
  }
  const file = resolve(auth.adminKeyFile);
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim();
    if (!KEY_SHAPE.test(key)) throw new Error(`${file} does not hold an admin key (${API_KEY_PREFIX}...); delete it to create a new one`);
    log.info({ file }, 'admin key read from file');
    return key;
  }
  const key = newSecret(API_KEY_PREFIX);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  log.info({ file }, 'admin key created; read it from this file (mode 0600)');
  return key;
}
