// The PyTorch peer of the engine benchmarks: bench/torch_models.py in a child python3, driven one
// JSON line at a time so that its rounds alternate with Convoy's inside one run.
//
// Which python: BENCH_PYTHON, else /usr/bin/python3 (Debian python3-torch), else python3 on PATH.
// BLAS: Debian's libopenblas0-pthread, selected by LD_LIBRARY_PATH (BENCH_OPENBLAS_DIR, default
// /usr/lib/x86_64-linux-gnu/openblas-pthread), with OMP_NUM_THREADS=1 and OPENBLAS_NUM_THREADS=1:
// torch.set_num_threads(threads) decides the threads, BLAS adds none of its own.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface, type Interface } from 'node:readline';

const SCRIPT = fileURLToPath(new URL('./torch_models.py', import.meta.url));
const OPENBLAS_DIR = process.env.BENCH_OPENBLAS_DIR ?? '/usr/lib/x86_64-linux-gnu/openblas-pthread';

function python(): string {
  if (process.env.BENCH_PYTHON) return process.env.BENCH_PYTHON;
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

function peerEnv(): NodeJS.ProcessEnv {
  const lib = [OPENBLAS_DIR, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  return { ...process.env, LD_LIBRARY_PATH: lib, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' };
}

/** The torch version when `python3 -c "import torch"` works, else null (with the reason). */
export function torchAvailable(): { version: string | null; reason: string } {
  const r = spawnSync(python(), ['-c', 'import torch; print(torch.__version__)'], { env: peerEnv(), encoding: 'utf8' });
  if (r.status === 0) return { version: r.stdout.trim(), reason: '' };
  const why = r.error ? r.error.message : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`);
  return { version: null, reason: `${python()} -c "import torch" failed: ${why}` };
}

export interface PeerTiming {
  imagesPerSecond: number;
  imagesPerCpuSecond: number;
  loss?: number;
}

/** One python process holding one model: setup once, then train/predict rounds on request. */
export class TorchPeer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly pending: ((line: string) => void)[] = [];

  private constructor() {
    this.child = spawn(python(), [SCRIPT], { env: peerEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d: Buffer) => process.stderr.write(`[torch] ${d}`));
    this.lines = createInterface({ input: this.child.stdout });
    this.lines.on('line', (line) => this.pending.shift()?.(line));
  }

  static async start(model: string, batch: number, threads: number): Promise<TorchPeer> {
    const peer = new TorchPeer();
    await peer.ask({ cmd: 'setup', model, batch, threads });
    return peer;
  }

  private ask(msg: object): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      this.pending.push((line) => {
        const reply = JSON.parse(line) as Record<string, unknown>;
        if (reply.error) reject(new Error(`torch peer: ${String(reply.error)}`));
        else resolve(reply);
      });
      this.child.stdin.write(`${JSON.stringify(msg)}\n`);
    });
  }

  async train(seconds: number): Promise<PeerTiming> {
    return (await this.ask({ cmd: 'train', seconds })) as unknown as PeerTiming;
  }

  async predict(seconds: number, batch: number): Promise<PeerTiming> {
    return (await this.ask({ cmd: 'predict', seconds, batch })) as unknown as PeerTiming;
  }

  close(): void {
    this.child.stdin.end();
    this.lines.close();
  }
}
