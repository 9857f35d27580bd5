#!/usr/bin/python3
"""One training epoch of lenet5 / cnn3 in PyTorch, the baseline for scripts/bench-train.sh.

Usage: /usr/bin/python3 scripts/bench_train_torch.py <arch> <images> <mnist-dir>
Same setup as our engine's bench: the first <images> MNIST training images, shuffled, batch 128,
Adam 1e-3, train mode, 2 threads. Prints "RESULT <arch> <images/s>" last. The models come from
the golden-test script, so both engines train the same architecture definitions.
"""
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "Mnist.ML.Trainer.Tests", "Golden"))
from make_golden import cnn3, lenet5  # noqa: E402

arch, count, mnist = sys.argv[1], int(sys.argv[2]), sys.argv[3]
torch.set_num_threads(2)
torch.manual_seed(1)
with open(os.path.join(mnist, "train-images-idx3-ubyte"), "rb") as f:
    f.read(16)
    x = torch.from_numpy(np.frombuffer(f.read(count * 784), dtype=np.uint8).astype(np.float32).reshape(count, 1, 28, 28) / 255.0)
with open(os.path.join(mnist, "train-labels-idx1-ubyte"), "rb") as f:
    f.read(8)
    y = torch.from_numpy(np.frombuffer(f.read(count), dtype=np.uint8).astype(np.int64))

model = {"lenet5": lenet5, "cnn3": cnn3}[arch]()
model.train()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
order = torch.randperm(count)
start = time.perf_counter()
total_loss, correct = 0.0, 0
for b in range(0, count, 128):
    idx = order[b:b + 128]
    xb, yb = x[idx], y[idx]
    opt.zero_grad()
    logits = model(xb)
    loss = nn.functional.cross_entropy(logits, yb)
    loss.backward()
    opt.step()
    total_loss += loss.item() * len(idx)
    correct += (logits.argmax(1) == yb).sum().item()
elapsed = time.perf_counter() - start
print(f"RESULT {arch} {count / elapsed:.1f} (loss {total_loss / count:.4f}, acc {100.0 * correct / count:.2f} %)")
