#!/usr/bin/python3
# Writes decoder test images in every mode we claim, plus PIL's decoded pixels for each, into OUTDIR.
# Run with Debian's /usr/bin/python3 (python3-pil, python3-numpy); also calls /usr/bin/convert (ImageMagick 6)
# (JPEG restart intervals come from a tiny encoder here: none of those tools writes them). Deterministic: fixed seed, no clock.
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
                elif ctype == 0:
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
for orientation in (3, 6, 8):
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(pic).save(os.path.join(out, f"pil-exif-{orientation}.png"), exif=exif.tobytes()); add(f"pil-exif-{orientation}.png")
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
def jpeg_tables_from_pil():
    """The standard Annex K Huffman tables, taken from a plain (non-optimized) PIL JPEG."""
    buf = os.path.join(out, "tables.jpg")
    src.save(buf, quality=90)
    d = open(buf, "rb").read()
    tables, i = {}, 2
    while i < len(d):
        marker, length = d[i + 1], struct.unpack(">H", d[i + 2:i + 4])[0]
        if marker == 0xC4:
            p = i + 4
            while p < i + 2 + length:
                tc_th, bits = d[p], list(d[p + 1:p + 17])
                vals = list(d[p + 17:p + 17 + sum(bits)])
                code, codes = 0, {}
                k = 0
                for ln in range(1, 17):
                    for _ in range(bits[ln - 1]):
                        codes[vals[k]] = (code, ln); code += 1; k += 1
                    code <<= 1
                tables[tc_th] = (bits, vals, codes)
                p += 17 + sum(bits)
        if marker == 0xDA:
            break
        i += 2 + length
    return tables


def write_restart_jpeg(name, rgb, sub, restart, fill_before_rst=False, progressive=False):
    """Minimal baseline/progressive encoder (PIL/ImageMagick/netpbm cannot write restart intervals here): DRI + RSTn markers."""
    tables = jpeg_tables_from_pil()
    h, w = rgb.shape[:2]
    gray = rgb.ndim == 2
    f = rgb.astype(float)
    if gray:
        planes = [f]
    else:
        r, g, b = f[..., 0], f[..., 1], f[..., 2]
        planes = [0.299 * r + 0.587 * g + 0.114 * b, 128 - 0.168736 * r - 0.331264 * g + 0.5 * b, 128 + 0.5 * r - 0.418688 * g - 0.081312 * b]
    hs, vs = (2, 2) if sub == "420" else (1, 1)
    if gray: hs = vs = 1
    mw, mh = -(-w // (8 * hs)), -(-h // (8 * vs))
    comps = []
    for ci, pl in enumerate(planes):
        ch, cv = (hs, vs) if ci == 0 else (1, 1)
        pl = np.pad(pl, ((0, mh * 8 * vs - h), (0, mw * 8 * hs - w)), mode="edge")
        if ci > 0 and hs == 2:
            pl = pl.reshape(pl.shape[0] // 2, 2, pl.shape[1] // 2, 2).mean(axis=(1, 3))
        comps.append((ch, cv, pl))
    qt = [np.full((8, 8), 6.0), np.full((8, 8), 9.0)]
    n = np.arange(8)
    C = np.sqrt(2 / 8) * np.cos((2 * n[None, :] + 1) * n[:, None] * np.pi / 16); C[0] /= np.sqrt(2)
    zz = [0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
          35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63]
    # Quantised coefficients of every block, zigzag order: q[ci][(block_row, block_col)].
    q = []
    for ci, (ch, cv, pl) in enumerate(comps):
        t = 0 if ci == 0 else 1
        blocks = {}
        for br in range(pl.shape[0] // 8):
            for bc in range(pl.shape[1] // 8):
                blk = C @ (pl[br * 8:br * 8 + 8, bc * 8:bc * 8 + 8] - 128) @ C.T
                blocks[(br, bc)] = np.round(blk / qt[t]).astype(int).reshape(-1)[zz]
        q.append(blocks)

    data = bytearray()
    acc, nacc = 0, 0

    def put(code, ln):
        nonlocal acc, nacc
        for k in range(ln - 1, -1, -1):
            acc = (acc << 1) | ((code >> k) & 1); nacc += 1
            if nacc == 8:
                data.append(acc)
                if acc == 0xFF: data.append(0)
                acc, nacc = 0, 0

    def flush():
        nonlocal acc, nacc
        while nacc: put(1, 1)

    def cat(v):
        s = int(abs(v)).bit_length()
        return s, (v if v >= 0 else v + (1 << s) - 1)

    def ac_band(coefs, ss, se, ac_codes):
        """Run-length/size symbols for coefficients ss..se; trailing zeros end with EOB (an EOB run of 1)."""
        run = 0
        last = max([k for k in range(ss, se + 1) if coefs[k] != 0], default=ss - 1)
        for k in range(ss, last + 1):
            if coefs[k] == 0:
                run += 1; continue
            while run > 15: put(*ac_codes[0xF0]); run -= 16
            s, v = cat(coefs[k]); put(*ac_codes[(run << 4) | s]); put(v, s); run = 0
        if last < se: put(*ac_codes[0x00])

    def scan(units, encode_unit, ncomp):
        """Entropy-codes one scan: units are MCUs (interleaved) or blocks (one component), with restarts."""
        nonlocal data
        data = bytearray()
        preds = [0] * ncomp
        for m, unit in enumerate(units):
            if restart and m and m % restart == 0:
                flush()
                if fill_before_rst: data += b"\xff\xff"
                data += bytes([0xFF, 0xD0 + (m // restart - 1) % 8])
                preds = [0] * ncomp
            encode_unit(unit, preds)
        flush()
        return bytes(data)

    def mcu_blocks(m):
        my, mx = divmod(m, mw)
        return [(ci, (my * cv + by, mx * ch + bx)) for ci, (ch, cv, _) in enumerate(comps) for by in range(cv) for bx in range(ch)]

    def dc(ci, coef, preds, al):
        t = 0 if ci == 0 else 1
        value = coef >> al  # point transform: arithmetic shift
        s, v = cat(value - preds[ci]); preds[ci] = value
        put(*tables[0x00 | t][2][s]); put(v, s)

    scans = []  # (component indices, Ss, Se, Ah, Al, entropy-coded bytes)
    if not progressive:
        def baseline(m, preds):
            for ci, key in mcu_blocks(m):
                t = 0 if ci == 0 else 1
                dc(ci, q[ci][key][0], preds, 0)
                ac_band(q[ci][key], 1, 63, tables[0x10 | t][2])
        scans.append((list(range(len(comps))), 0, 63, 0, 0, scan(range(mw * mh), baseline, len(comps))))
    else:
        # DC first with Al=1, then its refinement bit; AC in two spectral bands per component.
        scans.append((list(range(len(comps))), 0, 0, 0, 1, scan(range(mw * mh), lambda m, p: [dc(ci, q[ci][key][0], p, 1) for ci, key in mcu_blocks(m)], len(comps))))
        scans.append((list(range(len(comps))), 0, 0, 1, 0, scan(range(mw * mh), lambda m, p: [put(int(q[ci][key][0]) & 1, 1) for ci, key in mcu_blocks(m)], len(comps))))
        for ci, (ch, cv, _) in enumerate(comps):
            # A single-component scan covers only the blocks holding image samples, not the MCU padding.
            bw, bh = -(-(-(-w * ch // hs)) // 8), -(-(-(-h * cv // vs)) // 8)
            keys = [(r, c) for r in range(bh) for c in range(bw)]
            t = 0 if ci == 0 else 1
            for ss, se in [(1, 5), (6, 63)]:
                scans.append(([ci], ss, se, 0, 0, scan(keys, lambda key, p, ss=ss, se=se, ci=ci, t=t: ac_band(q[ci][key], ss, se, tables[0x10 | t][2]), 1)))

    def seg(marker, body): return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body
    out_bytes = b"\xff\xd8" + seg(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0")
    for t in range(2 if not gray else 1):
        out_bytes += seg(0xDB, bytes([t]) + bytes(int(x) for x in qt[t].reshape(-1)[zz]))
    sof = struct.pack(">BHHB", 8, h, w, len(comps)) + b"".join(bytes([ci + 1, (ch << 4) | cv, 0 if ci == 0 else 1]) for ci, (ch, cv, _) in enumerate(comps))
    out_bytes += seg(0xC2 if progressive else 0xC0, sof)
    for key in sorted(tables):
        if (key & 0x0F) == 0 or not gray:
            bits, vals, _ = tables[key]
            out_bytes += seg(0xC4, bytes([key]) + bytes(bits) + bytes(vals))
    if restart:
        out_bytes += seg(0xDD, struct.pack(">H", restart))
    for cis, ss, se, ah, al, entropy in scans:
        sos = bytes([len(cis)]) + b"".join(bytes([ci + 1, 0x00 if ci == 0 else 0x11]) for ci in cis) + bytes([ss, se, (ah << 4) | al])
        out_bytes += seg(0xDA, sos) + entropy
    out_bytes += b"\xff\xd9"
    with open(os.path.join(out, name), "wb") as fh:
        fh.write(out_bytes)
    add(name, "jpeg")


write_restart_jpeg("own-restart3-420.jpg", big, "420", 3)
write_restart_jpeg("own-restart1-444.jpg", big, "444", 1)
write_restart_jpeg("own-restart5-gray-fill.jpg", np.array(src.convert("L")), "444", 5, fill_before_rst=True)
write_restart_jpeg("own-restart2-444-fill.jpg", big, "444", 2, fill_before_rst=True)
write_restart_jpeg("own-restart4-420-progressive.jpg", big, "420", 4, progressive=True)
write_restart_jpeg("own-restart3-gray-progressive.jpg", np.array(src.convert("L")), "444", 3, progressive=True)
write_restart_jpeg("own-progressive-420.jpg", big, "420", 0, progressive=True)
src.convert("CMYK").save(os.path.join(out, "pil-cmyk.jpg")); add("pil-cmyk.jpg", "unsupported")

# ---------- GIF ----------
Image.fromarray(pic).quantize(64).save(os.path.join(out, "pil.gif")); add("pil.gif")
Image.fromarray(pic).quantize(64).save(os.path.join(out, "pil-transparent.gif"), transparency=3); add("pil-transparent.gif")
Image.fromarray(pic).quantize(2).save(os.path.join(out, "pil-2color.gif")); add("pil-2color.gif")
convert(os.path.join(out, "pil.gif"), "-interlace", "GIF", os.path.join(out, "im-interlaced.gif")); add("im-interlaced.gif")

with open(os.path.join(out, "manifest.tsv"), "w") as f:
    f.write("\n".join(manifest) + "\n")
print(f"{len(manifest)} images in {out}")
