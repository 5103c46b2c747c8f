"""Convoy from Python with the standard library and PyTorch only.

Submits a job (job.json beside this file, or the file given as the first argument), follows its
event stream to the end, downloads the weights as safetensors, rebuilds the model as a
torch.nn.Sequential (a residual block is a module holding its own nn.Sequential), and checks
that PyTorch gives the probabilities POST /v1/jobs/{id}/predict gives, within 1e-5.

    CONVOY_API_KEY=$(cat .convoy/admin.key) python3 examples/python/train_and_compare.py

CONVOY_URL defaults to http://127.0.0.1:3000. Exits 1 when the job does not succeed or the
probabilities differ.
"""
import http.client
import json
import math
import os
import random
import struct
import sys
import urllib.error
import urllib.request

import torch
import torch.nn as nn
import torch.nn.functional as F

URL = os.environ.get("CONVOY_URL", "http://127.0.0.1:3000").rstrip("/")
AUTH = {"Authorization": f"Bearer {os.environ['CONVOY_API_KEY']}"}


def call(method, path, body=None, accept="application/json"):
    data = None if body is None else json.dumps(body).encode()
    headers = {**AUTH, "Accept": accept, **({"Content-Type": "application/json"} if data else {})}
    return urllib.request.urlopen(urllib.request.Request(URL + path, data, headers, method=method), timeout=60)


def events(job_id):
    """The job's events as (type, data), from its server-sent event stream, until the job ends.
    A dropped connection is reopened with Last-Event-ID: no event is lost or seen twice."""
    last_id, retries = None, 0
    while True:
        headers = {"Last-Event-ID": last_id} if last_id else {}
        try:
            request = urllib.request.Request(URL + f"/v1/jobs/{job_id}/events", headers={**AUTH, **headers, "Accept": "text/event-stream"})
            with urllib.request.urlopen(request, timeout=60) as stream:
                kind, data, event_id = None, [], None
                for raw in stream:
                    if not raw.endswith(b"\n"):
                        break  # cut mid-line: the event is incomplete
                    line = raw.decode().rstrip("\r\n")
                    if line.startswith("event:"):
                        kind = line[6:].strip()
                    elif line.startswith("data:"):
                        data.append(line[5:].strip())
                    elif line.startswith("id:"):
                        event_id = line[3:].strip()
                    elif line == "" and data:  # the event is complete: only now does its id count
                        last_id = event_id or last_id
                        yield kind, json.loads("\n".join(data))
                        if kind in ("completed", "failed", "cancelled"):
                            return
                        kind, data, event_id = None, [], None
        except urllib.error.HTTPError:
            raise  # an answer (401, 404): reconnecting will not change it
        except (OSError, http.client.HTTPException):
            pass  # a dropped connection, a timeout: as a stream that ended early
        retries += 1
        if retries > 5:
            sys.exit("the event stream kept closing before the job ended")
        print(f"the stream closed before the job ended; resuming after event {last_id}", file=sys.stderr)


def read_safetensors(raw):
    """{name: tensor} and the metadata of a safetensors file (8-byte header length, JSON header, data)."""
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + size])
    data = raw[8 + size :]
    tensors = {}
    for name, t in header.items():
        if name != "__metadata__":
            begin, end = t["data_offsets"]
            tensors[name] = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float32).reshape(t["shape"])
    return tensors, header.get("__metadata__", {})


# ---- the model: one torch module per Convoy layer, state_dict names as in the weights file ----------

ACTIVATIONS = {
    "relu": lambda a: nn.ReLU(),
    "leakyRelu": lambda a: nn.LeakyReLU(0.01 if a is None else a),
    "elu": lambda a: nn.ELU(1.0 if a is None else a),
    "sigmoid": lambda a: nn.Sigmoid(),
    "tanh": lambda a: nn.Tanh(),
}


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def window(padding, size, k, s):
    """Output length and (before, after) zero padding along one axis. 'same': the odd pixel after."""
    if padding == "same":
        out = math.ceil(size / s)
        total = max((out - 1) * s + k - size, 0)
        return out, (total // 2, total - total // 2)
    p = 0 if padding == "valid" else padding
    return (size + 2 * p - k) // s + 1, (p, p)


class Padded:
    """Pads (left, right, top, bottom) before the module's own forward, then applies the fused activation."""

    def setup(self, pads, activation=None, fill=0.0):
        self.pads, self.fill = pads, fill
        self.activation = activation or nn.Identity()  # no parameters: the state_dict names stay nn's

    def forward(self, x):
        return self.activation(super().forward(F.pad(x, self.pads, value=self.fill)))


class Conv2d(Padded, nn.Conv2d):
    pass


class MaxPool2d(Padded, nn.MaxPool2d):
    pass  # padded with -inf: max pooling never picks the padding


class AvgPool2d(nn.AvgPool2d):
    """Divides by the in-bounds elements only (PyTorch's count_include_pad=False, with any padding)."""

    def setup(self, pads):
        self.pads = pads

    def forward(self, x):
        ones = torch.ones_like(x[:1, :1])
        return super().forward(F.pad(x, self.pads)) / super().forward(F.pad(ones, self.pads))


class Linear(nn.Linear):
    def setup(self, activation):
        self.activation = activation or nn.Identity()

    def forward(self, x):
        return self.activation(super().forward(x))


class Residual(nn.Module):
    """output = layers(x) + shortcut(x): a 1x1 convolution, or x itself."""

    def __init__(self, layers, shortcut):
        super().__init__()
        self.layers, self.shortcut = layers, shortcut

    def forward(self, x):
        return self.layers(x) + (x if self.shortcut is None else self.shortcut(x))


def conv2d(spec, shape):
    (kh, kw), (sh, sw) = pair(spec["kernelSize"]), pair(spec.get("stride", 1))
    oh, (top, bottom) = window(spec.get("padding", "valid"), shape[1], kh, sh)
    ow, (left, right) = window(spec.get("padding", "valid"), shape[2], kw, sw)
    m = Conv2d(shape[0], spec["filters"], (kh, kw), (sh, sw), bias=spec.get("useBias", True))
    act = spec.get("activation")
    m.setup((left, right, top, bottom), ACTIVATIONS[act](spec.get("alpha")) if act else None)
    return m, [spec["filters"], oh, ow]


def build(layers, shape):
    """nn.Sequential of a Convoy layer list on inputs of `shape`; returns it and its output shape."""
    modules = []
    for spec in layers:
        t = spec["type"]
        if t == "conv2d":
            m, shape = conv2d(spec, shape)
        elif t in ("maxPool2d", "avgPool2d"):
            (kh, kw) = pair(spec["poolSize"])
            (sh, sw) = pair(spec.get("stride", spec["poolSize"]))
            oh, (top, bottom) = window(spec.get("padding", "valid"), shape[1], kh, sh)
            ow, (left, right) = window(spec.get("padding", "valid"), shape[2], kw, sw)
            if t == "maxPool2d":
                m = MaxPool2d((kh, kw), (sh, sw))
                m.setup((left, right, top, bottom), fill=-math.inf)
            else:
                m = AvgPool2d((kh, kw), (sh, sw))
                m.setup((left, right, top, bottom))
            shape = [shape[0], oh, ow]
        elif t == "dense":
            m = Linear(shape[0], spec["units"], bias=spec.get("useBias", True))
            act = spec.get("activation")
            m.setup(ACTIVATIONS[act](spec.get("alpha")) if act else None)
            shape = [spec["units"]]
        elif t == "flatten":
            m, shape = nn.Flatten(), [math.prod(shape)]
        elif t == "dropout":
            m = nn.Dropout(spec["rate"])
        elif t == "dropout2d":
            m = nn.Dropout2d(spec["rate"])
        elif t in ("batchNorm2d", "batchNorm1d"):
            cls = nn.BatchNorm2d if t == "batchNorm2d" else nn.BatchNorm1d
            m = cls(shape[0], eps=spec.get("eps", 1e-5), momentum=spec.get("momentum", 0.1))
        elif t == "globalAvgPool2d":
            m, shape = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten()), [shape[0]]
        elif t == "residual":
            inner, out = build(spec["layers"], shape)
            shortcut = None
            if "shortcut" in spec:
                sc = {"filters": out[0], "kernelSize": 1, **spec["shortcut"]}
                shortcut, _ = conv2d(sc, shape)
            m, shape = Residual(inner, shortcut), out
        elif t in ACTIVATIONS:
            m = ACTIVATIONS[t](spec.get("alpha"))
        else:
            raise ValueError(f"no PyTorch module for a {t} layer")
        modules.append(m)
    return nn.Sequential(*modules), shape


def main():
    job_file = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "job.json")
    with open(job_file) as f:
        job = json.load(call("POST", "/v1/jobs", json.load(f)))
    print(f"job {job['id']}")
    for kind, data in events(job["id"]):
        if kind == "epoch":
            m = data["metrics"]
            print(f"epoch {data['epoch']}: loss {m['loss']:.4f}, test accuracy {m.get('testAccuracy')}")
        elif kind in ("failed", "cancelled"):
            sys.exit(f"the job {kind}: {json.dumps(data)}")
    spec = json.load(call("GET", f"/v1/jobs/{job['id']}"))["spec"]["model"]  # presets expanded

    raw = call("GET", f"/v1/jobs/{job['id']}/weights?format=safetensors", accept="application/octet-stream").read()
    tensors, metadata = read_safetensors(raw)
    model, _ = build(spec["layers"], list(spec["input"]))
    # The file names layers.{i}.weight (layers.{i}.layers.{j}.* inside a block): the Sequential's
    # own names with "layers." in front, batch norm's running mean and variance included (PyTorch's
    # num_batches_tracked counter is the only name the file does not carry).
    state = {name.removeprefix("layers."): t for name, t in tensors.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected and all(n.endswith("num_batches_tracked") for n in missing), (missing, unexpected)
    model.eval()
    print(f"weights: {len(raw)} bytes, {len(tensors)} tensors, {sum(p.numel() for p in model.parameters())} parameters")

    # Inputs as /predict takes them (0-255 pixels for the builtin datasets); the model sees x / input_scale.
    rng = random.Random(0)
    size = math.prod(spec["input"])
    inputs = [[rng.randint(0, 255) if rng.random() < density else 0 for _ in range(size)] for density in (0.05, 0.2, 0.5, 0.9)]
    answer = json.load(call("POST", f"/v1/jobs/{job['id']}/predict", {"inputs": inputs}))
    served = torch.tensor([p["probabilities"] for p in answer["predictions"]])
    scale = float(metadata.get("input_scale", "1"))
    with torch.no_grad():
        x = torch.tensor(inputs, dtype=torch.float32).reshape(-1, *spec["input"]) / scale
        probabilities = torch.softmax(model(x), dim=1)
    diff = (probabilities - served).abs().max().item()
    print(f"max |torch - /predict| = {diff:.2e} over {served.numel()} probabilities")
    print(f"labels: torch {probabilities.argmax(1).tolist()}, /predict {[p['label'] for p in answer['predictions']]}")
    sys.exit(0 if diff < 1e-5 else 1)


if __name__ == "__main__":
    main()
