#!/usr/bin/python3
# Renders MNIST test digits the way users send them (paper photos, coloured ink, transparent PNGs, off-centre,
# rotated, thick/thin strokes) to measure accuracy per kind. Deterministic from --seed. Run with Debian's
# /usr/bin/python3 (python3-pil, python3-numpy). Writes OUT/<kind>/<n>.<ext> and OUT/labels.csv
# (file,label,kind,mnist_index); default OUT is data/realworld (git-ignored).
import argparse, csv, os, struct
import numpy as np
from PIL import Image, ImageFilter

KINDS = ["dark-on-white", "jpeg-photo", "colour-on-cream", "transparent-png", "thick-stroke", "thin-stroke",
         "off-centre", "rotated", "bmp-scan"]

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ap = argparse.ArgumentParser(description=__doc__)
ap.add_argument("--out", default=os.path.join(root, "data", "realworld"))
ap.add_argument("--mnist", default=os.path.join(root, "data", "mnist"))
ap.add_argument("--per-kind", type=int, default=200)
ap.add_argument("--seed", type=int, default=2024)
args = ap.parse_args()

images = np.fromfile(os.path.join(args.mnist, "t10k-images-idx3-ubyte"), np.uint8, offset=16).reshape(-1, 28, 28)
labels = np.fromfile(os.path.join(args.mnist, "t10k-labels-idx1-ubyte"), np.uint8, offset=8)
rng = np.random.default_rng(args.seed)


def upscale(digit, size):
    """Smooth enlargement of the 28x28 (ink 0..1), like a pen stroke photographed at higher resolution."""
    return np.asarray(Image.fromarray(digit).resize((size, size), Image.BICUBIC), dtype=np.float32).clip(0, 255) / 255


def compose(ink, paper, ink_colour):
    """paper * (1 - ink) + ink_colour * ink, per RGB channel."""
    ink = ink[..., None]
    return (np.asarray(paper, np.float32) * (1 - ink) + np.asarray(ink_colour, np.float32) * ink).clip(0, 255).astype(np.uint8)


def render(kind, digit):
    size = int(rng.integers(84, 281))
    if kind == "thick-stroke":
        d = Image.fromarray(digit).resize((size, size), Image.BICUBIC).filter(ImageFilter.MaxFilter(2 * (size // 56) + 1))
        return Image.fromarray(compose(np.asarray(d, np.float32) / 255, (250, 250, 250), (15, 15, 15))), "png"
    if kind == "thin-stroke":
        d = Image.fromarray(digit).resize((size, size), Image.BICUBIC).filter(ImageFilter.MinFilter(2 * (size // 70) + 1))
        return Image.fromarray(compose(np.asarray(d, np.float32) / 255, (250, 250, 250), (15, 15, 15))), "png"
    ink = upscale(digit, size)
    if kind == "dark-on-white":
        return Image.fromarray(compose(ink, (255, 255, 255), [int(rng.integers(0, 60))] * 3)), "png"
    if kind == "bmp-scan":
        return Image.fromarray(compose(ink, (240, 240, 236), (30, 30, 40))), "bmp"
    if kind == "colour-on-cream":
        colour = [(20, 40, 160), (170, 20, 30), (20, 110, 40), (60, 20, 120)][int(rng.integers(0, 4))]
        return Image.fromarray(compose(ink, (246, 236, 208), colour)), "png" if rng.random() < 0.5 else "jpg"
    if kind == "transparent-png":
        a = (ink * 255).astype(np.uint8)
        rgb = np.zeros((size, size, 3), np.uint8) + np.uint8(rng.integers(0, 80))
        return Image.fromarray(np.dstack([rgb, a]), "RGBA"), "png"
    if kind == "jpeg-photo":
        y, x = np.mgrid[0:size, 0:size] / size
        light = 205 + 30 * (x * rng.uniform(-1, 1) + y * rng.uniform(-1, 1))  # uneven lighting across the page
        paper = np.dstack([light, light * 0.98, light * 0.94])
        alpha = ink[..., None] * rng.uniform(0.75, 0.95)  # pencil/pen never quite black in a photo
        img = paper * (1 - alpha) + np.array([45, 45, 55]) * alpha
        img = img + rng.normal(0, 6, img.shape)
        im = Image.fromarray(img.clip(0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.8))
        return im, "jpg"
    if kind == "off-centre":
        canvas_w, canvas_h = int(rng.integers(300, 600)), int(rng.integers(300, 600))
        small = int(rng.integers(60, 120))
        ink_small = upscale(digit, small)
        big = np.zeros((canvas_h, canvas_w), np.float32)
        oy, ox = int(rng.integers(0, canvas_h - small)), int(rng.integers(0, canvas_w - small))
        big[oy:oy + small, ox:ox + small] = ink_small
        return Image.fromarray(compose(big, (252, 252, 252), (10, 10, 10))), "png"
    if kind == "rotated":
        angle = float(rng.uniform(-15, 15))
        d = Image.fromarray(digit).resize((size, size), Image.BICUBIC).rotate(angle, Image.BICUBIC)
        return Image.fromarray(compose(np.asarray(d, np.float32) / 255, (255, 255, 255), (20, 20, 20))), "png"
    raise ValueError(kind)


os.makedirs(args.out, exist_ok=True)
with open(os.path.join(args.out, "labels.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["file", "label", "kind", "mnist_index"])
    for kind in KINDS:
        os.makedirs(os.path.join(args.out, kind), exist_ok=True)
        for n in range(args.per_kind):
            index = int(rng.integers(0, len(images)))
            im, ext = render(kind, images[index])
            name = f"{kind}/{n:04d}.{ext}"
            if ext == "jpg":
                im.convert("RGB").save(os.path.join(args.out, name), quality=int(rng.integers(60, 90)))
            else:
                im.save(os.path.join(args.out, name))
            w.writerow([name, int(labels[index]), kind, index])
print(f"{len(KINDS) * args.per_kind} images in {args.out}")
