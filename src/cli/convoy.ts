#!/usr/bin/env node
// `convoy`: the command line for a Convoy API, built on the typed client (src/client). CONVOY_URL
// (default http://127.0.0.1:3000) and CONVOY_API_KEY (default: the key in .convoy/admin.key, which
// `npm start` creates) configure it. Exit codes: 0 done (a followed job succeeded), 1 the job failed
// or was cancelled, or the API refused the request for another reason, 2 bad input (a 4xx naming
// what is wrong, an unreadable file, bad arguments).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { Convoy, ConvoyError, type JobListQuery, type JobSubmission } from '../client/index.js';
import { followView } from './follow-view.js';
import { ImageError, imageInput } from './images.js';

const EXIT = { ok: 0, failed: 1, badInput: 2 } as const;

/** Class names of the built-in datasets, to print labels as words. */
const CLASS_NAMES: Record<string, readonly string[]> = {
  'fashion-mnist': ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
};

function client(): Convoy {
  const file = '.convoy/admin.key';
  const apiKey = process.env.CONVOY_API_KEY || (existsSync(file) ? readFileSync(file, 'utf8').trim() : '');
  if (!apiKey) throw new UsageError('set CONVOY_API_KEY (or run from the folder where `npm start` created .convoy/admin.key)');
  return new Convoy({ baseUrl: (process.env.CONVOY_URL || 'http://127.0.0.1:3000').replace(/\/+$/, ''), apiKey });
}

class UsageError extends Error {}

/** Repeatable options: commander calls this once per occurrence. */
const collect = (value: string, all: string[] = []) => [...all, value];

/** `key=value` -> [key, value] (the value may hold more `=`). */
function tagPair(tag: string): [string, string] {
  const at = tag.indexOf('=');
  if (at < 1) throw new UsageError(`--tag ${tag}: expected key=value`);
  return [tag.slice(0, at), tag.slice(at + 1)];
}

interface JobsOptions {
  status?: JobListQuery['status'];
  tag?: string[];
  name?: string;
  createdAfter?: string;
  createdBefore?: string;
  limit: number;
  cursor?: string;
  json?: boolean;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`${file}: ${(err as Error).message}`);
  }
}

/** Follows a job to its end; the exit code says how it ended. */
async function follow(api: Convoy, id: string, json: boolean, from: 'now' | 'start' = 'now'): Promise<number> {
  const view = followView({ json, tty: process.stdout.isTTY === true });
  let code: number = EXIT.failed;
  try {
    for await (const e of api.follow(id, { from })) {
      view.show(e);
      if (e.type === 'completed') code = EXIT.ok;
    }
  } finally {
    view.stop();
  }
  return code;
}

const program = new Command('convoy')
  .description('Train CNNs on a Convoy API. CONVOY_URL (default http://127.0.0.1:3000), CONVOY_API_KEY (default: .convoy/admin.key)')
  .showHelpAfterError()
  // Before the commands are added, so they inherit it: bad arguments exit 2, --help 0.
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT.badInput));

program
  .command('submit')
  .description('submit a job from a JSON file (the POST /v1/jobs body); prints its id')
  .argument('<spec.json>', 'the job: model, dataset, training (README and docs/api.md show examples)')
  .option('-f, --follow', 'follow it to its end: a progress bar per epoch, then the final metrics')
  .option('--json', 'with --follow: every event as a JSON line')
  .option('--idempotency-key <key>', 'resubmitting with the same key returns the same job')
  .option('--name <name>', "the job's name (over the file's)")
  .option('--tag <key=value>', "a metadata pair (repeatable; over the file's): `convoy jobs --tag` finds the job by it", collect)
  .action(async (file: string, o: { follow?: boolean; json?: boolean; idempotencyKey?: string; name?: string; tag?: string[] }) => {
    const api = client();
    const spec = readJson(file) as JobSubmission;
    if (o.name) spec.name = o.name;
    if (o.tag) spec.metadata = { ...spec.metadata, ...Object.fromEntries(o.tag.map(tagPair)) };
    const job = await api.submit(spec, o.idempotencyKey ? { idempotencyKey: o.idempotencyKey } : {});
    if (!o.follow) return console.log(job.id);
    console.error(`job ${job.id}`);
    process.exitCode = await follow(api, job.id, o.json === true);
  });

program
  .command('jobs')
  .description("list the tenant's jobs, newest first")
  .addOption(
    new Option('--status <status>', 'only jobs with this status').choices([
      'queued',
      'running',
      'cancelling',
      'succeeded',
      'failed',
      'cancelled',
    ]),
  )
  .option('--tag <key=value>', 'only jobs with this metadata pair (repeatable: all must match)', collect)
  .option('--name <prefix>', 'only jobs whose name starts with this')
  .option('--created-after <time>', 'only jobs created at or after this ISO time')
  .option('--created-before <time>', 'only jobs created before this ISO time')
  .option('--limit <n>', 'how many', (v) => Number(v), 20)
  .option('--cursor <cursor>', 'the next page: the nextCursor of --json')
  .option('--json', 'the JSON page')
  .action(async (o: JobsOptions) => {
    for (const t of o.tag ?? []) tagPair(t); // a bad pair is bad input (exit 2) before any request
    const page = await client().jobs({
      limit: o.limit,
      ...(o.status ? { status: o.status } : {}),
      ...(o.tag ? { tag: o.tag } : {}),
      ...(o.name ? { name: o.name } : {}),
      ...(o.createdAfter ? { createdAfter: o.createdAfter } : {}),
      ...(o.createdBefore ? { createdBefore: o.createdBefore } : {}),
      ...(o.cursor ? { cursor: o.cursor } : {}),
    });
    if (o.json) return console.log(JSON.stringify(page, null, 2));
    for (const j of page.items) {
      const acc = j.metrics.testAccuracy ?? j.metrics.accuracy;
      console.log(
        [
          j.id,
          j.status.padEnd(10),
          `${j.progress.percent.toFixed(0).padStart(3)}%`,
          acc == null ? '-' : acc.toFixed(4),
          j.name ?? '',
          ...Object.entries(j.metadata ?? {}).map(([k, v]) => `${k}=${v}`),
        ].join('  '),
      );
    }
  });

program
  .command('get')
  .description('a job document (JSON)')
  .argument('<id>')
  .action(async (id: string) => console.log(JSON.stringify(await client().job(id), null, 2)));

program
  .command('logs')
  .description("a job's events: its whole log, or (--follow) live to its end")
  .argument('<id>')
  .option('-f, --follow', 'keep following until the job ends')
  .option('--json', 'every event as a JSON line')
  .action(async (id: string, o: { follow?: boolean; json?: boolean }) => {
    const code = await follow(client(), id, o.json === true, 'start');
    if (o.follow) process.exitCode = code;
  });

program
  .command('cancel')
  .description('cancel a job: a queued one ends at once, a running one at its next batch')
  .argument('<id>')
  .action(async (id: string) => console.log(JSON.stringify(await client().cancel(id))));

program
  .command('rm')
  .description('delete a finished job with its events and weights')
  .argument('<id>')
  .action(async (id: string) => {
    await client().delete(id);
    console.log(`deleted ${id}`);
  });

program
  .command('weights')
  .description("download a job's weights")
  .argument('<id>')
  .option('-o, --output <file>', 'where to write them (default: <id>.<format>)')
  .addOption(
    new Option('--format <format>', 'safetensors (PyTorch), onnx, or json tensors')
      .choices(['safetensors', 'onnx', 'json'])
      .default('safetensors'),
  )
  .action(async (id: string, o: { output?: string; format: 'safetensors' | 'onnx' | 'json' }) => {
    const api = client();
    const out = o.output ?? `${id}.${o.format}`;
    if (o.format === 'json') {
      const { data, error, response } = await api.api.GET('/v1/jobs/{id}/weights', { params: { path: { id }, query: { format: 'json' } } });
      if (!response.ok) throw new ConvoyError(error as never);
      writeFileSync(out, JSON.stringify(data));
    } else {
      writeFileSync(out, Buffer.from(await api.weights(id, o.format)));
    }
    console.log(out);
  });

program
  .command('predict')
  .description("classify PNG or JPEG images with a job's weights (resized to the model's input)")
  .argument('<id>')
  .argument('<images...>')
  .action(async (id: string, files: string[]) => {
    const api = client();
    const job = await api.job(id);
    const input = job.spec.model.input as [number, number, number];
    const { predictions } = await api.predict(
      id,
      files.map((f) => imageInput(f, input)),
    );
    const dataset = job.spec.dataset as { builtin?: string };
    const names = dataset.builtin ? CLASS_NAMES[dataset.builtin] : undefined;
    predictions.forEach((p, i) => {
      const label = names?.[p.label] ?? String(p.label);
      console.log(`${files[i]}\t${label}\t${p.probabilities[p.label]!.toFixed(4)}`);
    });
  });

const datasets = program.command('datasets').description('uploaded datasets');
datasets
  .command('upload')
  .description('upload a CSV (label,p0,p1,...; gzipped or not), or IDX images with --labels')
  .argument('<file>', 'the CSV, or the IDX images file')
  .option('--labels <file>', 'the IDX labels file (makes <file> the IDX images)')
  .option('--name <name>')
  .option('--shape <c,h,w>', 'CSV: each row is c,h,w')
  .action(async (file: string, o: { labels?: string; name?: string; shape?: string }) => {
    const blob = (f: string) => new Blob([readFileSync(f)]);
    const files = o.labels ? { images: blob(file), labels: blob(o.labels) } : { csv: blob(file) };
    const shape = o.shape?.split(',').map(Number) as [number, number, number] | undefined;
    const info = await client().uploadDataset(files, { ...(o.name ? { name: o.name } : {}), ...(shape ? { shape } : {}) });
    console.log(JSON.stringify(info, null, 2));
  });
datasets
  .command('list')
  .description("the tenant's datasets")
  .action(async () => console.log(JSON.stringify(await client().datasets(), null, 2)));

const keys = program.command('keys').description('API keys (admin keys only)');
keys
  .command('create')
  .description('create a key; prints it once')
  .requiredOption('--tenant <tenant>')
  .requiredOption('--name <name>')
  .addOption(new Option('--role <role>').choices(['member', 'admin']).default('member'))
  .action(async (o: { tenant: string; name: string; role: 'member' | 'admin' }) => {
    const { data, error, response } = await client().api.POST('/v1/keys', { body: o });
    if (!response.ok) throw new ConvoyError(error as never);
    console.log(JSON.stringify(data, null, 2));
  });
keys
  .command('list')
  .description('every key, never its secret')
  .action(async () => {
    const { data, error, response } = await client().api.GET('/v1/keys');
    if (!response.ok) throw new ConvoyError(error as never);
    for (const k of data!.items) console.log([k.id, k.tenant, k.role, k.name, k.lastUsedAt ?? '-'].join('\t'));
  });
keys
  .command('revoke')
  .argument('<id>')
  .description('revoke a key')
  .action(async (id: string) => {
    const { error, response } = await client().api.DELETE('/v1/keys/{id}', { params: { path: { id } } });
    if (!response.ok) throw new ConvoyError(error as never);
    console.log(`revoked ${id}`);
  });

try {
  await program.parseAsync();
} catch (err) {
  if (err instanceof ConvoyError) {
    console.error(`convoy: ${err.status} ${err.detail ?? err.title}${err.field ? ` (${err.field})` : ''}`);
    process.exitCode = err.status >= 400 && err.status < 500 && err.status !== 409 ? EXIT.badInput : EXIT.failed;
  } else if (err instanceof UsageError || err instanceof ImageError) {
    console.error(`convoy: ${err.message}`);
    process.exitCode = EXIT.badInput;
  } else {
    console.error(`convoy: ${(err as Error).message}`);
    process.exitCode = EXIT.failed;
  }
}
