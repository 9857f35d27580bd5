#!/usr/bin/python3
"""Writes golden.bin: PyTorch 1.13 reference values for the C# golden tests (GoldenTests.cs).

Run with Debian's python (torch 1.13 CPU):  /usr/bin/python3 make_golden.py [mnist_dir]
It reads the first 8 test images of MNIST (data/mnist by default) and, for three networks defined
exactly as our specs (lenet5, cnn3, and "tiny" = conv4k3p1-relu-bn-pool2-flatten-fc10), stores the
PyTorch-initialised weights, the logits, the cross-entropy loss, every parameter gradient, and the
losses of 5 optimizer steps. lenet5 and cnn3 run in eval mode, so dropout is the identity (dropout
masks cannot match across RNGs); "tiny" runs in train mode so BatchNorm uses batch statistics and
updates its running mean / var, which are stored too. Also: label-smoothed loss, SGD (momentum,
Nesterov, weight decay) and AdamW losses, the final weights of "tiny" after each optimizer, and the
learning rates of OneCycleLR / CosineAnnealingLR.

Format (little-endian): b"MNGF", int32 version (1), int32 count, then per tensor:
int32 name length, UTF-8 name, int32 rank, int32 dims..., float32 values.
Never regenerate it to make a failing test pass.
"""
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
MNIST = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "..", "data", "mnist")
BATCH = 8

tensors = {}


def put(name, value):
    # copy: .numpy() shares memory with tensors (grads, running stats) that later steps change in place
    arr = np.array(value.detach().numpy() if torch.is_tensor(value) else value, dtype=np.float32, copy=True)
    tensors[name] = arr.reshape(arr.shape if arr.ndim else (1,))


def read_mnist(count):
    with open(os.path.join(MNIST, "t10k-images-idx3-ubyte"), "rb") as f:
        f.read(16)
        images = np.frombuffer(f.read(count * 784), dtype=np.uint8).astype(np.float32) / 255.0
    with open(os.path.join(MNIST, "t10k-labels-idx1-ubyte"), "rb") as f:
        f.read(8)
        labels = np.frombuffer(f.read(count), dtype=np.uint8).astype(np.int64)
    return torch.from_numpy(images.reshape(count, 1, 28, 28).copy()), torch.from_numpy(labels.copy())


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def cnn3():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Dropout(0.25), nn.Linear(1152, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))


def tiny():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(4), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(784, 10))


def state(model):
    return {k: v.clone() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}


def run_steps(model, initial, train, x, y, make_opt, steps=5):
    model.load_state_dict(initial, strict=False)
    model.train(train)
    opt = make_opt(model.parameters())
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        losses.append(loss.item())
        loss.backward()
        opt.step()
    return losses, state(model)


def golden(name, model, train, x, y):
    initial = state(model)
    for k, v in initial.items():
        put(f"{name}/param/{k}", v)
    model.train(train)
    logits = model(x)
    loss = nn.functional.cross_entropy(logits, y)
    loss.backward()
    put(f"{name}/logits", logits)
    put(f"{name}/loss", loss)
    for k, p in model.named_parameters():
        put(f"{name}/grad/{k}", p.grad)
    for k, v in model.state_dict().items():
        if "running" in k:
            put(f"{name}/after/{k}", v)
    put(f"{name}/loss_smoothed", nn.functional.cross_entropy(logits, y, label_smoothing=0.1))

    optimizers = {
        "adam": lambda p: torch.optim.Adam(p, lr=1e-3),
        "sgd": lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4),
        "adamw": lambda p: torch.optim.AdamW(p, lr=1e-3, weight_decay=0.01),
    }
    for opt_name, make in optimizers.items():
        if name == "cnn3" and opt_name != "adam":
            continue
        losses, final = run_steps(model, initial, train, x, y, make)
        put(f"{name}/{opt_name}_losses", losses)
        if name == "tiny":
            for k, v in final.items():
                put(f"{name}/{opt_name}_final/{k}", v)


def schedules():
    p = [nn.Parameter(torch.zeros(1))]
    for sched_name, make in {
        "onecycle": lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=1e-3, total_steps=20),
        "cosine": lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=20),
    }.items():
        opt = torch.optim.Adam(p, lr=1e-3)
        sched = make(opt)
        lrs = []
        for _ in range(20):
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        put(f"schedule/{sched_name}", lrs)


def main():
    x, y = read_mnist(BATCH)
    put("input", x)
    put("labels", y.float())
    for name, factory, train in (("lenet5", lenet5, False), ("cnn3", cnn3, False), ("tiny", tiny, True)):
        torch.manual_seed(0)
        golden(name, factory(), train, x, y)
    schedules()
    out = os.path.join(HERE, "golden.bin")
    with open(out, "wb") as f:
        f.write(b"MNGF")
        f.write(struct.pack("<ii", 1, len(tensors)))
        for name, arr in tensors.items():
            encoded = name.encode("utf-8")
            f.write(struct.pack("<i", len(encoded)))
            f.write(encoded)
            f.write(struct.pack("<i", arr.ndim))
            f.write(struct.pack(f"<{arr.ndim}i", *arr.shape))
            f.write(arr.astype("<f4").tobytes())
    print(f"wrote {len(tensors)} tensors to {out} (torch {torch.__version__})")


if __name__ == "__main__":
    main()
