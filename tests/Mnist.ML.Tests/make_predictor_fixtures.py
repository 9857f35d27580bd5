#!/usr/bin/python3
"""Fixtures for the predictor tests: MNIST test digits rendered as image files, and small ONNX models
whose shapes or outputs the predictor must accept or refuse.

Run with Debian's python (torch 1.13, onnx, PIL):  /usr/bin/python3 make_predictor_fixtures.py OUT_DIR MNIST_DIR [COUNT]
Writes OUT_DIR/digits/NNNN.{png,jpg,bmp} for the first COUNT test images (default 100) and labels.txt:
  png  the MNIST digit as is (28x28 gray, light ink on black)
  jpg  dark ink on white paper, upscaled to 112x112 (bicubic), RGB, quality 90
  bmp  dark ink on white, 56x56 pasted off-centre on a 100x80 RGB page (tests crop and centring)
plus blank.png (white page) and models/*.onnx (untrained, seeded; for shape and output handling):
  logits_and_probabilities  outputs probabilities (Softmax) first, then logits
  probabilities_only        one output, a Softmax
  fixed_batch               input [1,1,28,28], no dynamic batch
  wrong_input               input [N,3,28,28]
  wrong_output              output [N,5]
  with_card                 a model card in metadata_props, as Mnist.ML's exporter writes it
"""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
from PIL import Image


def read_mnist(mnist, count):
    with open(os.path.join(mnist, "t10k-images-idx3-ubyte"), "rb") as f:
        f.read(16)
        images = np.frombuffer(f.read(count * 784), dtype=np.uint8).reshape(count, 28, 28)
    with open(os.path.join(mnist, "t10k-labels-idx1-ubyte"), "rb") as f:
        f.read(8)
        labels = np.frombuffer(f.read(count), dtype=np.uint8)
    return images, labels


def write_digits(out, mnist, count):
    d = os.path.join(out, "digits")
    os.makedirs(d, exist_ok=True)
    images, labels = read_mnist(mnist, count)
    for i, (img, label) in enumerate(zip(images, labels)):
        Image.fromarray(img, "L").save(os.path.join(d, f"{i:04d}.png"))
        paper = Image.fromarray(255 - img, "L")
        paper.resize((112, 112), Image.BICUBIC).convert("RGB").save(os.path.join(d, f"{i:04d}.jpg"), quality=90)
        page = Image.new("RGB", (100, 80), (255, 255, 255))
        page.paste(paper.resize((56, 56), Image.BILINEAR).convert("RGB"), (30 + i % 10, 12 + i % 7))
        page.save(os.path.join(d, f"{i:04d}.bmp"))
    with open(os.path.join(d, "labels.txt"), "w") as f:
        f.write("\n".join(str(int(l)) for l in labels) + "\n")
    Image.new("RGB", (64, 64), (255, 255, 255)).save(os.path.join(out, "blank.png"))


class Tiny(nn.Module):
    """Flatten -> Linear(784*c, k): enough graph to test shapes and outputs."""

    def __init__(self, channels=1, classes=10, outputs=("logits",)):
        super().__init__()
        self.outputs = outputs
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(channels * 784, 32), nn.ReLU(), nn.Linear(32, classes))

    def forward(self, x):
        logits = self.fc(x) * 4  # spread the scores so the softmax is not uniform
        values = {"logits": logits, "probabilities": torch.softmax(logits, dim=1)}
        result = tuple(values[o] for o in self.outputs)
        return result if len(result) > 1 else result[0]


def export(model, path, channels=1, dynamic=True):
    model.eval()
    names = list(model.outputs)
    axes = {"input": {0: "batch"}, **{o: {0: "batch"} for o in names}} if dynamic else None
    torch.onnx.export(model, torch.zeros(1, channels, 28, 28), path, opset_version=13,
                      input_names=["input"], output_names=names, dynamic_axes=axes)
    onnx.checker.check_model(onnx.load(path))


def write_models(out):
    d = os.path.join(out, "models")
    os.makedirs(d, exist_ok=True)
    torch.manual_seed(7)
    export(Tiny(outputs=("probabilities", "logits")), os.path.join(d, "logits_and_probabilities.onnx"))
    export(Tiny(outputs=("probabilities",)), os.path.join(d, "probabilities_only.onnx"))
    export(Tiny(), os.path.join(d, "fixed_batch.onnx"), dynamic=False)
    export(Tiny(channels=3), os.path.join(d, "wrong_input.onnx"), channels=3)
    export(Tiny(classes=5), os.path.join(d, "wrong_output.onnx"))
    path = os.path.join(d, "with_card.onnx")
    export(Tiny(), path)
    model = onnx.load(path)
    onnx.helper.set_model_props(model, {
        "name": "tiny", "architecture": "flatten-fc32-relu-fc10", "test_accuracy": "0.9876",
        "preprocessing": "mnist-preprocess/1", "trained_at": "2026-11-21T10:30:00.0000000+00:00",
        "training_data_sha256": "ab" * 32, "training_options": "Adam", "epochs": "3", "training_seconds": "754",
        "description": "fixture", "custom": "kept"})
    onnx.save(model, path)


def main():
    out, mnist = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    torch.set_num_threads(1)
    write_digits(out, mnist, count)
    write_models(out)


if __name__ == "__main__":
    main()
