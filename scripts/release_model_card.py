#!/usr/bin/python3
"""Finishes the shipped model (last step of scripts/train-release-model.sh): adds the card entries the
exporter has no field for (name, epochs, validation accuracy, calibration, real-world accuracy, ...)
to the exported ONNX file's metadata_props, checks the file with the ONNX
checker, and writes models/mnist-cnn.onnx plus models/mnist-cnn.json (exactly the metadata_props).

Usage: /usr/bin/python3 scripts/release_model_card.py EXPORTED.onnx MODELS_DIR   (reads EXPORTED.onnx.card.json)
"""
import json
import os
import sys

import onnx


def main():
    exported, models = sys.argv[1], sys.argv[2]
    model = onnx.load(exported)
    with open(exported + ".card.json") as f:
        extras = json.load(f)
    card = {p.key: p.value for p in model.metadata_props}
    clash = sorted(k for k in extras if k in card)
    if clash:
        sys.exit(f"the exporter already wrote {clash}; refusing to overwrite")
    card.update(extras)
    onnx.helper.set_model_props(model, card)
    onnx.checker.check_model(model, full_check=True)
    os.makedirs(models, exist_ok=True)
    onnx.save(model, os.path.join(models, "mnist-cnn.onnx"))
    with open(os.path.join(models, "mnist-cnn.json"), "w") as f:
        json.dump(dict(sorted(card.items())), f, indent=2)
        f.write("\n")
    print(json.dumps(card, indent=2))


if __name__ == "__main__":
    main()
