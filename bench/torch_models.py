"""PyTorch peer for `npm run bench:engine -- --contenders=convoy,torch` (driven by bench/torch-peer.ts).

Builds the same presets as src/engine/presets.ts (lenet5, fashion-cnn) in PyTorch, trains them with
Adam (lr 1e-3) and softmax cross-entropy at the same batch on the same kind of synthetic data, and
answers one JSON command per stdin line, so the TypeScript side can alternate with Convoy inside one
run:
  {"cmd": "setup", "model": "lenet5", "batch": 64, "threads": 1}   -> {"ok": true, "torch": "1.13.0"}
  {"cmd": "train", "seconds": 10}    -> {"imagesPerSecond": ..., "imagesPerCpuSecond": ..., "loss": ...}
  {"cmd": "predict", "seconds": 5, "batch": 256}  -> {"imagesPerSecond": ..., "imagesPerCpuSecond": ...}
Threads: torch.set_num_threads(threads); start it with OMP_NUM_THREADS and OPENBLAS_NUM_THREADS set
(bench/torch-peer.ts does) so that BLAS does not add threads of its own.
"""
import json
import sys
import time

import torch
from torch import nn


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )


def fashion_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ELU(),
        nn.Conv2d(32, 64, 3), nn.ELU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(9216, 128), nn.ELU(),
        nn.Linear(128, 10),
    )


MODELS = {"lenet5": lenet5, "fashion-cnn": fashion_cnn}


def synthetic(n):
    g = torch.Generator().manual_seed(12345)
    return torch.rand(n, 1, 28, 28, generator=g), torch.arange(n) % 10


def timed(budget, step, images_per_step):
    steps = 0
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    out = None
    while True:
        out = step()
        steps += 1
        t = time.perf_counter()
        if t - t0 >= budget:
            break
    cpu = time.process_time() - cpu0
    images = steps * images_per_step
    return images / (t - t0), images / max(cpu, 1e-9), out


def main():
    state = {}
    for line in sys.stdin:
        msg = json.loads(line)
        cmd = msg["cmd"]
        if cmd == "setup":
            torch.set_num_threads(int(msg.get("threads", 1)))
            torch.manual_seed(1)
            model = MODELS[msg["model"]]()
            batch = int(msg["batch"])
            x, y = synthetic(batch)
            state = {
                "model": model,
                "batch": batch,
                "x": x,
                "y": y,
                "opt": torch.optim.Adam(model.parameters(), lr=1e-3),
                "loss": nn.CrossEntropyLoss(),
            }
            reply = {"ok": True, "torch": torch.__version__, "threads": torch.get_num_threads()}
        elif cmd == "train":
            m, opt, loss_fn, x, y = state["model"], state["opt"], state["loss"], state["x"], state["y"]
            m.train()

            def step():
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(m(x), y)
                loss.backward()
                opt.step()
                return loss

            ips, ipc, loss = timed(float(msg["seconds"]), step, state["batch"])
            reply = {"imagesPerSecond": ips, "imagesPerCpuSecond": ipc, "loss": float(loss)}
        elif cmd == "predict":
            m = state["model"]
            n = int(msg.get("batch", 256))
            x, _ = synthetic(n)
            m.eval()

            def infer():
                with torch.no_grad():
                    return torch.softmax(m(x), dim=1)

            ips, ipc, _ = timed(float(msg["seconds"]), infer, n)
            reply = {"imagesPerSecond": ips, "imagesPerCpuSecond": ipc}
        else:
            reply = {"error": f"unknown command {cmd}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
