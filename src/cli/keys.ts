// `npm run keys -- create --tenant acme --name ci [--role member]`, `list [--tenant acme]`,
// `revoke <id>`: API keys straight in Redis, no API needed (the Redis `npm start` uses: REDIS_URL,
// else 127.0.0.1:6379, else its private redis-server). `create` prints the key once, as JSON.
import { Command, InvalidArgumentError } from 'commander';
import { pino } from 'pino';
import { Value } from 'typebox/value';
import { ApiKeyCreateSchema, ROLES, TenantSchema, type Role } from '../contracts/index.js';
import { loadConfig } from '../config.js';
import { resolveRedis } from '../redis-bootstrap.js';
import { ApiKeyStore, TenantStore, connectRedis } from '../store/index.js';

const config = loadConfig();

async function withStores<T>(fn: (keys: ApiKeyStore, tenants: TenantStore) => Promise<T>): Promise<T> {
  const resolved = await resolveRedis({ url: config.redisUrl, log: pino({ level: 'warn' }) });
  const redis = connectRedis(resolved.url, 'convoy-keys-cli');
  try {
    return await fn(new ApiKeyStore(redis, config.redisPrefix), new TenantStore(redis, config.redisPrefix, config.tenantQuotas));
  } finally {
    await redis.quit();
    await resolved.stop();
  }
}

function tenant(value: string): string {
  if (!Value.Check(TenantSchema, value)) throw new InvalidArgumentError('a-z, 0-9, _ and - only, starting with a letter or digit');
  return value;
}

function role(value: string): Role {
  if (!(ROLES as readonly string[]).includes(value)) throw new InvalidArgumentError(`one of ${ROLES.join(', ')}`);
  return value as Role;
}

const program = new Command('keys')
  .description('Manage Convoy API keys in Redis (no running API needed)')
  // Exit codes: 0 done (or --help), 1 no such key, 2 bad input.
  .exitOverride((err) => process.exit(err.exitCode === 0 || err.code === 'keys.not-found' ? err.exitCode : 2));

program
  .command('create')
  .description('create a key; prints it once (JSON), keep it secret')
  .requiredOption('--tenant <tenant>', 'the tenant the key acts for', tenant)
  .requiredOption('--name <name>', 'what the key is for, e.g. ci')
  .option('--role <role>', `${ROLES.join(' or ')}`, role, 'member')
  .action(async (o: { tenant: string; name: string; role: Role }) => {
    const req = { tenant: o.tenant, name: o.name, role: o.role };
    if (!Value.Check(ApiKeyCreateSchema, req)) program.error('--name must be 1 to 200 characters');
    const created = await withStores(async (keys, tenants) => {
      const k = await keys.create(req);
      await tenants.add(k.tenant);
      return k;
    });
    console.log(JSON.stringify(created, null, 2));
  });

program
  .command('list')
  .description('list keys (never their secrets)')
  .option('--tenant <tenant>', "one tenant's keys", tenant)
  .action(async (o: { tenant?: string }) => {
    const items = await withStores((keys) => keys.list(o.tenant));
    for (const k of items) console.log([k.id, k.tenant, k.role, JSON.stringify(k.name), k.createdAt, k.lastUsedAt ?? '-'].join('\t'));
  });

program
  .command('revoke')
  .description('revoke a key: every API process refuses it at once')
  .argument('<id>', 'the key id (key_...)')
  .action(async (id: string) => {
    if (!(await withStores((keys) => keys.revoke(id)))) program.error(`no key ${id}`, { exitCode: 1, code: 'keys.not-found' });
    console.log(`revoked ${id}`);
  });

await program.parseAsync();
