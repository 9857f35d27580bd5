#!/usr/bin/python3
# Writes decoder test images in every mode we claim, plus PIL's decoded pixels for each, into OUTDIR.
# Run with Debian's /usr/bin/python3 (python3-pil, python3-numpy); also calls /usr/bin/convert (ImageMagick 6)
# and /usr/bin/pnmtojpeg (netpbm, for JPEG restart intervals). Deterministic: fixed seed, no clock.
# OUTDIR/manifest.tsv: file <TAB> compare (exact | jpeg | unsupported) <TAB> reference (.rgba: int32 LE w, h, then RGBA bytes).
import struct, subprocess, sys, zlib, os
import numpy as np
from PIL import Image, ImageOps

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(1234)
manifest = []


def reference(name, rgba):
    rgba = np.ascontiguousarray(rgba, dtype=np.uint8)
    h, w = rgba.shape[:2]
    with open(os.path.join(out, name + ".rgba"), "wb") as f:
        f.write(struct.pack("<ii", w, h))
        f.write(rgba.tobytes())
    return name + ".rgba"


def pil_rgba(path):
    """PIL's decode as RGBA; 16-bit gray (mode I) keeps the high byte as PIL does for other 16-bit modes."""
    im = Image.open(path)
    im = ImageOps.exif_transpose(im)
    if im.mode in ("I", "I;16", "I;16B"):
        g = (np.array(im).astype(np.uint32) >> 8).astype(np.uint8)
        a = np.full_like(g, 255)
        t = im.info.get("transparency")
        if t is not None:
            a[np.array(im) == t] = 0
        return np.dstack([g, g, g, a])
    return np.array(im.convert("RGBA"))


def add(name, compare="exact"):
    path = os.path.join(out, name)
    ref = reference(name, pil_rgba(path)) if compare != "unsupported" else "-"
    manifest.append(f"{name}\t{compare}\t{ref}")


def convert(*args):
    subprocess.run(["/usr/bin/convert", *args], check=True)


def photo(w, h):
    """A smooth colour picture with edges and some noise: exercises filters, DCT and chroma."""
    y, x = np.mgrid[0:h, 0:w].astype(float)
    r = 128 + 100 * np.sin(x / 7.0) * np.cos(y / 11.0)
    g = 255 * x / max(1, w - 1)
    b = 255 * ((x // 8 + y // 8) % 2) * 0.6 + 40
    img = np.dstack([r, g, b]) + rng.normal(0, 6, (h, w, 3))
    img[h // 4: h // 2, w // 3: 2 * w // 3] = [20, 30, 200]
    return np.clip(img, 0, 255).astype(np.uint8)


# ---------- PNG written by our own minimal encoder: every colour type x depth, every filter, Adam7 ----------
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def chunk(t, data):
    return struct.pack(">I", len(data)) + t + data + struct.pack(">I", zlib.crc32(t + data) & 0xFFFFFFFF)


def pack_row(samples, depth):
    if depth == 16:
        return b"".join(struct.pack(">H", int(s)) for s in samples)
    if depth == 8:
        return bytes(int(s) for s in samples)
    bits = "".join(format(int(s), f"0{depth}b") for s in samples)
    bits += "0" * (-len(bits) % 8)
    return bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))


def filter_row(ftype, row, prior, bpp):
    out_row = bytearray(len(row))
    for i in range(len(row)):
        a = row[i - bpp] if i >= bpp else 0
        b = prior[i] if prior is not None else 0
        c = prior[i - bpp] if prior is not None and i >= bpp else 0
        if ftype == 0: p = 0
        elif ftype == 1: p = a
        elif ftype == 2: p = b
        elif ftype == 3: p = (a + b) // 2
        else:
            pp = a + b - c; pa, pb, pc = abs(pp - a), abs(pp - b), abs(pp - c)
            p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        out_row[i] = (row[i] - p) & 0xFF
    return bytes(out_row)


def write_png(name, samples, ctype, depth, interlace, plte=None, trns=None):
    """samples: (h, w, channels) integer array at the given depth. Row n uses filter n % 5."""
    h, w, ch = samples.shape
    bpp = max(1, ch * depth // 8)
    raw = bytearray()
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    n = 0
    for (x0, y0, dx, dy) in passes:
        sub = samples[y0::dy, x0::dx]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue
        prior = None
        for r in sub:
            row = pack_row(r.reshape(-1), depth)
            raw.append(n % 5)
            raw += filter_row(n % 5, row, prior, bpp)
            prior = row
            n += 1
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, interlace))
    if plte is not None:
        data += chunk(b"PLTE", bytes(plte))
    if trns is not None:
        data += chunk(b"tRNS", trns)
    data += chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b"")
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
    if ctype == 0 and depth < 8 and trns is not None:
        # PIL compares sub-8-bit gray tRNS with the scaled value, not the raw sample the PNG spec says, so
        # it misses transparent pixels; take PIL's colours and the spec's alpha.
        rgba = pil_rgba(os.path.join(out, name))
        rgba[..., 3] = np.where(samples[..., 0] == struct.unpack(">H", trns)[0], 0, 255)
        manifest.append(f"{name}\texact\t{reference(name, rgba)}")
        return
    add(name)


CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
for ctype, depths in [(0, [1, 2, 4, 8, 16]), (2, [8, 16]), (3, [1, 2, 4, 8]), (4, [8, 16]), (6, [8, 16])]:
    for depth in depths:
        for interlace in (0, 1):
            for (w, h) in [(19, 13), (1, 1)] if interlace else [(23, 9)]:
                top = (1 << depth) - 1
                s = rng.integers(0, top + 1, (h, w, CHANNELS[ctype]))
                plte = trns = None
                if ctype == 3:
                    plte = rng.integers(0, 256, 3 * (top + 1)).astype(np.uint8)
                    trns = bytes(rng.integers(0, 256, max(1, (top + 1) // 2)).astype(np.uint8))
                elif ctype == 0 and depth <= 8:
                    trns = struct.pack(">H", int(s[0, 0, 0]))
                elif ctype == 2 and depth == 8:
                    trns = struct.pack(">HHH", *[int(v) for v in s[0, 0]])
                write_png(f"png-c{ctype}-d{depth}-i{interlace}-{w}x{h}.png", s, ctype, depth, interlace, plte, trns)

# ---------- PNG written by PIL and ImageMagick (their own filter choices and chunk layouts) ----------
pic = photo(61, 47)
Image.fromarray(pic).save(os.path.join(out, "pil-rgb.png")); add("pil-rgb.png")
Image.fromarray(pic).convert("L").save(os.path.join(out, "pil-gray.png")); add("pil-gray.png")
rgba = np.dstack([pic, rng.integers(0, 256, pic.shape[:2]).astype(np.uint8)])
Image.fromarray(rgba, "RGBA").save(os.path.join(out, "pil-rgba.png")); add("pil-rgba.png")
Image.fromarray(rgba, "RGBA").convert("LA").save(os.path.join(out, "pil-la.png")); add("pil-la.png")
p = Image.fromarray(pic).quantize(37)
p.save(os.path.join(out, "pil-palette-trns.png"), transparency=5); add("pil-palette-trns.png")
Image.fromarray(pic).convert("1").save(os.path.join(out, "pil-1bit.png")); add("pil-1bit.png")
convert(os.path.join(out, "pil-rgba.png"), "-interlace", "PNG", os.path.join(out, "im-interlaced-rgba.png")); add("im-interlaced-rgba.png")
convert(os.path.join(out, "pil-rgb.png"), "-depth", "16", "PNG48:" + os.path.join(out, "im-rgb16.png")); add("im-rgb16.png")
convert(os.path.join(out, "pil-gray.png"), "-interlace", "PNG", "PNG:" + os.path.join(out, "im-gray-interlaced.png")); add("im-gray-interlaced.png")
convert(os.path.join(out, "pil-rgb.png"), "-colors", "200", "PNG8:" + os.path.join(out, "im-png8.png")); add("im-png8.png")

# ---------- BMP ----------
Image.fromarray(pic).save(os.path.join(out, "pil-24.bmp")); add("pil-24.bmp")
Image.fromarray(pic).convert("L").save(os.path.join(out, "pil-8gray.bmp")); add("pil-8gray.bmp")
Image.fromarray(pic).quantize(100).save(os.path.join(out, "pil-8pal.bmp")); add("pil-8pal.bmp")
Image.fromarray(pic).convert("1").save(os.path.join(out, "pil-1bit.bmp")); add("pil-1bit.bmp")
Image.fromarray(pic).quantize(16).save(os.path.join(out, "src-16.png"))
convert(os.path.join(out, "src-16.png"), "-type", "Palette", "BMP3:" + os.path.join(out, "im-4bit.bmp")); add("im-4bit.bmp")
convert(os.path.join(out, "pil-rgba.png"), "BMP:" + os.path.join(out, "im-32-bitfields-alpha.bmp")); add("im-32-bitfields-alpha.bmp")
convert(os.path.join(out, "pil-rgb.png"), "-define", "bmp:subtype=RGB565", "BMP:" + os.path.join(out, "im-16-565.bmp")); add("im-16-565.bmp")


def write_bmp(name, img, bpp, top_down):
    """24/32-bit BI_RGB with our own writer: top-down (negative height) and 32-bit with an unused fourth byte."""
    h, w, _ = img.shape
    stride = (w * bpp + 31) // 32 * 4
    rows = []
    for y in (range(h) if top_down else range(h - 1, -1, -1)):
        px = img[y][:, ::-1][:, :3] if False else img[y][:, [2, 1, 0]]
        if bpp == 32:
            px = np.concatenate([px, np.full((w, 1), 77, np.uint8)], axis=1)
        b = px.astype(np.uint8).tobytes()
        rows.append(b + b"\0" * (stride - len(b)))
    pixels = b"".join(rows)
    info = struct.pack("<iiiHHiiiiii", 40, w, -h if top_down else h, 1, bpp, 0, len(pixels), 2835, 2835, 0, 0)
    head = b"BM" + struct.pack("<IHHI", 14 + 40 + len(pixels), 0, 0, 54)
    with open(os.path.join(out, name), "wb") as f:
        f.write(head + info + pixels)
    add(name)


write_bmp("own-24-topdown.bmp", pic, 24, True)
write_bmp("own-32-bottomup.bmp", pic, 32, False)
write_bmp("own-32-topdown.bmp", pic[:5, :7], 32, True)

# ---------- JPEG (compared with a tolerance: libjpeg's rounding may differ slightly from ours) ----------
big = photo(83, 61)
src = Image.fromarray(big)
for sub, label in [(0, "444"), (1, "422"), (2, "420")]:
    src.save(os.path.join(out, f"pil-{label}.jpg"), quality=90, subsampling=sub); add(f"pil-{label}.jpg", "jpeg")
    src.save(os.path.join(out, f"pil-{label}-progressive.jpg"), quality=85, subsampling=sub, progressive=True); add(f"pil-{label}-progressive.jpg", "jpeg")
src.convert("L").save(os.path.join(out, "pil-gray.jpg"), quality=90); add("pil-gray.jpg", "jpeg")
src.convert("L").save(os.path.join(out, "pil-gray-progressive.jpg"), quality=90, progressive=True); add("pil-gray-progressive.jpg", "jpeg")
src.save(os.path.join(out, "pil-optimized.jpg"), quality=75, optimize=True); add("pil-optimized.jpg", "jpeg")
Image.fromarray(photo(16, 16)).save(os.path.join(out, "pil-16x16.jpg"), quality=95); add("pil-16x16.jpg", "jpeg")
Image.fromarray(photo(1, 1)).save(os.path.join(out, "pil-1x1.jpg"), quality=95); add("pil-1x1.jpg", "jpeg")
for orientation in range(2, 9):
    exif = Image.Exif()
    exif[0x0112] = orientation
    src.save(os.path.join(out, f"pil-exif-{orientation}.jpg"), quality=90, exif=exif.tobytes()); add(f"pil-exif-{orientation}.jpg", "jpeg")
ppm = os.path.join(out, "src.ppm")
src.save(ppm)
for sf, label in [("4x1", "411"), ("1x2", "440"), ("2x2", "420")]:
    convert(ppm, "-quality", "90", "-sampling-factor", sf, os.path.join(out, f"im-{label}.jpg")); add(f"im-{label}.jpg", "jpeg")
convert(ppm, "-quality", "90", "-interlace", "JPEG", "-sampling-factor", "2x2", os.path.join(out, "im-progressive-420.jpg")); add("im-progressive-420.jpg", "jpeg")
for restart, extra in [(1, []), (3, ["--progressive"]), (5, ["--sample=2x2"])]:
    name = f"netpbm-restart{restart}{'-progressive' if extra == ['--progressive'] else ''}.jpg"
    with open(os.path.join(out, name), "wb") as f:
        subprocess.run(["/usr/bin/pnmtojpeg", f"--restart={restart}", "--quality=90", *extra, ppm], stdout=f, check=True, stderr=subprocess.DEVNULL)
    add(name, "jpeg")
src.convert("CMYK").save(os.path.join(out, "pil-cmyk.jpg")); add("pil-cmyk.jpg", "unsupported")

# ---------- GIF ----------
Image.fromarray(pic).quantize(64).save(os.path.join(out, "pil.gif")); add("pil.gif")
Image.fromarray(pic).quantize(64).save(os.path.join(out, "pil-transparent.gif"), transparency=3); add("pil-transparent.gif")
Image.fromarray(pic).quantize(2).save(os.path.join(out, "pil-2color.gif")); add("pil-2color.gif")
convert(os.path.join(out, "pil.gif"), "-interlace", "GIF", os.path.join(out, "im-interlaced.gif")); add("im-interlaced.gif")

with open(os.path.join(out, "manifest.tsv"), "w") as f:
    f.write("\n".join(manifest) + "\n")
print(f"{len(manifest)} images in {out}")
