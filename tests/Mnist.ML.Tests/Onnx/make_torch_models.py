#!/usr/bin/python3
"""Exports lenet5 and cnn3 from PyTorch 1.13 to ONNX for the ONNX Runtime parity tests.

Run with Debian's python (torch 1.13 CPU):  /usr/bin/python3 make_torch_models.py OUT_DIR [MNIST_DIR]
Each model is trained briefly (100 Adam steps of 32 training images, fixed seed) so that logits have
realistic magnitudes (parity needs realistic activations, not the best accuracy). The two models exercise both ways exporters flatten: lenet5 uses x.view(x.size(0), -1),
which PyTorch exports as Shape -> Gather -> Unsqueeze -> Concat -> Reshape (our executor folds it per
batch size); cnn3 uses nn.Flatten (Flatten), has Dropout (exported as Identity/removed in eval mode)
and a second output, probabilities = Softmax(logits). Input "input" [N,1,28,28], batch dynamic.
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))

    def forward(self, x):
        x = self.features(x)
        return self.head(x.view(x.size(0), -1))


class Cnn3(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Dropout(0.25), nn.Linear(1152, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))

    def forward(self, x):
        logits = self.net(x)
        return logits, torch.softmax(logits, dim=1)


def train_briefly(model, mnist, steps=100, batch=32):
    with open(os.path.join(mnist, "train-images-idx3-ubyte"), "rb") as f:
        f.read(16)
        x = np.frombuffer(f.read(steps * batch * 784), dtype=np.uint8).astype(np.float32) / 255.0
    with open(os.path.join(mnist, "train-labels-idx1-ubyte"), "rb") as f:
        f.read(8)
        y = np.frombuffer(f.read(steps * batch), dtype=np.uint8).astype(np.int64)
    x = torch.from_numpy(x.reshape(-1, 1, 28, 28).copy())
    y = torch.from_numpy(y.copy())
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for i in range(steps):
        out = model(x[i * batch:(i + 1) * batch])
        logits = out[0] if isinstance(out, tuple) else out
        loss = nn.functional.cross_entropy(logits, y[i * batch:(i + 1) * batch])
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"{type(model).__name__}: final training loss {loss.item():.3f}")
    return model


def export(model, path, outputs):
    model.eval()
    torch.onnx.export(
        model, torch.zeros(1, 1, 28, 28), path, opset_version=13,
        input_names=["input"], output_names=outputs,
        dynamic_axes={"input": {0: "batch"}, **{o: {0: "batch"} for o in outputs}})


def main():
    out = sys.argv[1]
    mnist = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "..", "..", "..", "data", "mnist")
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(2)
    torch.manual_seed(1234)
    export(train_briefly(LeNet5(), mnist), os.path.join(out, "lenet5.onnx"), ["logits"])
    torch.manual_seed(5678)
    export(train_briefly(Cnn3(), mnist), os.path.join(out, "cnn3.onnx"), ["logits", "probabilities"])


if __name__ == "__main__":
    main()
