"""PyTorch peer of Convoy's engine for test/engine/torch.test.ts.

Reads one JSON request on stdin:
  {"spec": ModelSpec, "weights": "<path of a safetensors file the engine wrote>",
   "x": [n*C*H*W floats], "n": n, "labels": [n ints], "shards": [[from, to], ...],
   "labelSmoothing": e}
builds the torch.nn module a Convoy spec describes (the same state_dict names: layers.{i}.weight,
layers.{i}.layers.{j}.weight, layers.{i}.shortcut.weight, running_mean, running_var), loads the
file with load_state_dict(strict=True), and runs one training step's forward/backward with ghost
batch norm: each shard goes through the module on its own in train mode (its own batch statistics,
the running statistics updated shard after shard), the shards' logits are concatenated and the
batch-mean cross-entropy is backpropagated. Prints JSON: the loss, every parameter's gradient,
every buffer after the step, and the logits at inference (eval mode) after it. Float32 throughout.
"""
import json
import math
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + size])
    data = raw[8 + size :]
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        assert t["dtype"] == "F32", (name, t["dtype"])
        begin, end = t["data_offsets"]
        values = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float32)
        out[name] = values.reshape(t["shape"]).clone()
    return out


def pair(v, default):
    if v is None:
        return default
    return (v, v) if isinstance(v, int) else tuple(v)


def same_pads(size, k, s):
    out = math.ceil(size / s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2  # the odd pixel after, as Convoy and TensorFlow


ACTIVATIONS = {
    None: lambda x, a: x,
    "relu": lambda x, a: F.relu(x),
    "leakyRelu": lambda x, a: F.leaky_relu(x, 0.01 if a is None else a),
    "elu": lambda x, a: F.elu(x, 1.0 if a is None else a),
    "sigmoid": lambda x, a: torch.sigmoid(x),
    "tanh": lambda x, a: torch.tanh(x),
}


class Conv(nn.Conv2d):
    """nn.Conv2d (same parameter names) with Convoy's padding and a fused activation."""

    def __init__(self, cin, spec, hw):
        kh, kw = pair(spec["kernelSize"], None)
        sh, sw = pair(spec.get("stride"), (1, 1))
        super().__init__(cin, spec["filters"], (kh, kw), (sh, sw), bias=spec.get("useBias", True))
        p = spec.get("padding", "valid")
        if p == "valid":
            self.pads = (0, 0, 0, 0)
        elif p == "same":
            t, b = same_pads(hw[0], kh, sh)
            l, r = same_pads(hw[1], kw, sw)
            self.pads = (l, r, t, b)
        else:
            self.pads = (p, p, p, p)
        self.act = (spec.get("activation"), spec.get("alpha"))
        self.out_hw = (
            (hw[0] + self.pads[2] + self.pads[3] - kh) // sh + 1,
            (hw[1] + self.pads[0] + self.pads[1] - kw) // sw + 1,
        )

    def forward(self, x):
        y = F.conv2d(F.pad(x, self.pads), self.weight, self.bias, self.stride)
        return ACTIVATIONS[self.act[0]](y, self.act[1])


class Linear(nn.Linear):
    def __init__(self, fin, spec):
        super().__init__(fin, spec["units"], bias=spec.get("useBias", True))
        self.act = (spec.get("activation"), spec.get("alpha"))

    def forward(self, x):
        return ACTIVATIONS[self.act[0]](super().forward(x), self.act[1])


class Act(nn.Module):
    def __init__(self, name, alpha):
        super().__init__()
        self.name, self.alpha = name, alpha

    def forward(self, x):
        return ACTIVATIONS[self.name](x, self.alpha)


class Residual(nn.Module):
    """output = layers(x) + shortcut(x): state_dict names layers.{j}.* and shortcut.*"""

    def __init__(self, layers, shortcut):
        super().__init__()
        self.layers = layers
        self.shortcut = shortcut

    def forward(self, x):
        return self.layers(x) + (x if self.shortcut is None else self.shortcut(x))


def build(layers, shape):
    """nn.Sequential of the layer list on an input of `shape` ([C, H, W] or [F]); returns it and its output shape."""
    modules = []
    for spec in layers:
        t = spec["type"]
        if t == "conv2d":
            m = Conv(shape[0], spec, shape[1:])
            shape = [spec["filters"], *m.out_hw]
        elif t in ("maxPool2d", "avgPool2d"):
            assert spec.get("padding", "valid") == "valid", "the torch peer pools without padding"
            k = pair(spec["poolSize"], None)
            s = pair(spec.get("stride"), k)
            m = nn.MaxPool2d(k, s) if t == "maxPool2d" else nn.AvgPool2d(k, s)
            shape = [shape[0], (shape[1] - k[0]) // s[0] + 1, (shape[2] - k[1]) // s[1] + 1]
        elif t == "dense":
            m = Linear(shape[0], spec)
            shape = [spec["units"]]
        elif t == "flatten":
            m = nn.Flatten()
            shape = [math.prod(shape)]
        elif t in ("batchNorm2d", "batchNorm1d"):
            cls = nn.BatchNorm2d if t == "batchNorm2d" else nn.BatchNorm1d
            m = cls(shape[0], eps=spec.get("eps", 1e-5), momentum=spec.get("momentum", 0.1))
        elif t == "globalAvgPool2d":
            m = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
            shape = [shape[0]]
        elif t == "residual":
            inner, out = build(spec["layers"], shape)
            shortcut = None
            if "shortcut" in spec:
                sc = {"filters": out[0], "kernelSize": 1, **spec["shortcut"]}
                shortcut = Conv(shape[0], sc, shape[1:])
            m = Residual(inner, shortcut)
            shape = out
        elif t in ACTIVATIONS:
            m = Act(t, spec.get("alpha"))
        else:
            raise ValueError(f"the torch peer has no {t}")
        modules.append(m)
    return nn.Sequential(*modules), shape


class Net(nn.Module):
    def __init__(self, spec):
        super().__init__()
        self.layers, _ = build(spec["layers"], list(spec["input"]))

    def forward(self, x):
        return self.layers(x)


def main():
    req = json.load(sys.stdin)
    torch.manual_seed(0)
    net = Net(req["spec"])
    net.load_state_dict(read_safetensors(req["weights"]), strict=True)
    # float64 from the same float32 inputs: the reference is then exact to ~1e-15, so the bar measures
    # the engine's float32 rounding alone (two float32 implementations summing in different orders
    # differ by up to ~1.5e-4 relative in a batch-norm gradient over a shard of 2)
    net.double()
    n = req["n"]
    x = torch.tensor(req["x"], dtype=torch.float64).reshape(n, *req["spec"]["input"])
    labels = torch.tensor(req["labels"], dtype=torch.long)

    net.train()
    logits = torch.cat([net(x[a:b]) for a, b in req["shards"]])  # ghost batch norm: one call per shard
    loss = F.cross_entropy(logits, labels, label_smoothing=req.get("labelSmoothing", 0.0))
    loss.backward()

    net.eval()
    with torch.no_grad():
        inference = net(x)
    params = dict(net.named_parameters())
    print(
        json.dumps(
            {
                "torch": torch.__version__,
                "loss": loss.item(),
                "grads": {name: p.grad.flatten().tolist() for name, p in params.items()},
                "buffers": {
                    name: b.flatten().tolist() for name, b in net.named_buffers() if not name.endswith("num_batches_tracked")
                },
                "logits": inference.flatten().tolist(),
                "stateDict": sorted(net.state_dict().keys()),
            }
        )
    )


if __name__ == "__main__":
    main()
