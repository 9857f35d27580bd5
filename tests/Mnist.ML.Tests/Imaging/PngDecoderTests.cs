// PNG decoder against PIL: every colour type, bit depth, filter, Adam7, tRNS; plus the corruptions a user may send.
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Mnist.ML.Imaging;

namespace Mnist.ML.Tests.Imaging;

[TestClass]
public sealed class PngDecoderTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void DecodesEveryColourTypeDepthFilterAndInterlaceExactlyLikePil()
    {
        TestImages.AssertDecodeLikePil(TestContext, 35, ".png");
    }

    [TestMethod]
    public void CorruptChunkCrcIsReportedAsCorrupt()
    {
        byte[] png = SmallPng();
        png[20] ^= 0x01; // inside IHDR data
        var e = Assert.ThrowsExactly<ImageFormatException>(() => ImageDecoder.Decode(png));
        StringAssert.Contains(e.Message, "CRC");
    }

    [TestMethod]
    public void TruncatedFileIsReportedAsTruncated()
    {
        byte[] png = SmallPng();
        var e = Assert.ThrowsExactly<ImageFormatException>(() => ImageDecoder.Decode(png.AsSpan(0, png.Length - 20)));
        StringAssert.Contains(e.Message, "truncated");
    }

    [TestMethod]
    public void HugeDimensionsAreRefusedBeforeAllocating()
    {
        // 100,000 x 100,000 = 10 gigapixels declared in a 60-byte file.
        byte[] png = BuildPng(100_000, 100_000, 0, 8, new byte[10]);
        var e = Assert.ThrowsExactly<UnsupportedImageException>(() => ImageDecoder.Decode(png));
        StringAssert.Contains(e.Message, "MaxPixels");
    }

    [TestMethod]
    public void PixelLimitIsConfigurable()
    {
        byte[] png = SmallPng(); // 4x3
        Assert.ThrowsExactly<UnsupportedImageException>(() => ImageDecoder.Decode(png, new ImageDecodeOptions { MaxPixels = 11 }));
        Assert.AreEqual(4, ImageDecoder.Decode(png, new ImageDecodeOptions { MaxPixels = 12 }).Width);
    }

    [TestMethod]
    public void ZlibBombInflatesOnlyWhatTheHeaderNeeds()
    {
        // A 2x2 gray image whose IDAT inflates to 50 MB of zeros: we must read 6 bytes and stop.
        using var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            z.Write(new byte[50_000_000]);
        }
        Image image = ImageDecoder.Decode(BuildPng(2, 2, 0, 8, ms.ToArray(), compress: false));
        Assert.AreEqual(2, image.Width);
        CollectionAssert.AreEqual(new byte[] { 0, 0, 0, 255 }, image.Rgba[..4]);
    }

    [TestMethod]
    public void ShortImageDataIsTruncatedNotPadded()
    {
        byte[] png = BuildPng(4, 4, 0, 8, new byte[7]);
        var e = Assert.ThrowsExactly<ImageFormatException>(() => ImageDecoder.Decode(png));
        StringAssert.Contains(e.Message, "truncated");
    }

    [TestMethod]
    public void UnknownFilterTypeIsCorrupt()
    {
        byte[] png = BuildPng(1, 1, 0, 8, [7, 0]);
        Assert.ThrowsExactly<ImageFormatException>(() => ImageDecoder.Decode(png));
    }

    [TestMethod]
    public void UnknownCriticalChunkIsUnsupportedButAncillaryIsSkipped()
    {
        byte[] png = SmallPng();
        byte[] withAncillary = InsertChunk(png, "teXt", "hello"u8.ToArray());
        Assert.AreEqual(4, ImageDecoder.Decode(withAncillary).Width);
        byte[] withCritical = InsertChunk(png, "ZZZZ", [1]);
        Assert.ThrowsExactly<UnsupportedImageException>(() => ImageDecoder.Decode(withCritical));
    }

    [TestMethod]
    public void PaletteIndexPastPaletteIsCorrupt()
    {
        byte[] png = BuildPng(1, 1, 3, 8, [0, 5], plte: [1, 2, 3]);
        Assert.ThrowsExactly<ImageFormatException>(() => ImageDecoder.Decode(png));
    }

    [TestMethod]
    public void EveryFilterTypeReversesExactly()
    {
        // row = raw + predictor, so filtering a known row with each type and unfiltering must give it back.
        byte[] prior = [10, 200, 30, 40, 250, 60];
        byte[] row = [5, 100, 255, 0, 77, 128];
        for (int filter = 0; filter <= 4; filter++)
        {
            byte[] filtered = Filter(filter, row, prior, 3);
            PngDecoder.Unfilter(filter, filtered, prior, 3);
            CollectionAssert.AreEqual(row, filtered, $"filter {filter}");
        }
    }

    private static byte[] Filter(int filter, byte[] row, byte[] prior, int bpp)
    {
        var output = new byte[row.Length];
        for (int i = 0; i < row.Length; i++)
        {
            int a = i >= bpp ? row[i - bpp] : 0, b = prior[i], c = i >= bpp ? prior[i - bpp] : 0;
            int p = a + b - c;
            int predictor = filter switch
            {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) / 2,
                _ => Math.Abs(p - a) <= Math.Abs(p - b) && Math.Abs(p - a) <= Math.Abs(p - c) ? a : Math.Abs(p - b) <= Math.Abs(p - c) ? b : c,
            };
            output[i] = (byte)(row[i] - predictor);
        }
        return output;
    }

    internal static byte[] SmallPng() => PngEncoder.EncodeGray8(Enumerable.Range(0, 12).Select(i => (byte)(i * 20)).ToArray(), 4, 3);

    internal static byte[] BuildPng(int w, int h, int colorType, int depth, byte[] raw, bool compress = true, byte[]? plte = null)
    {
        using var ms = new MemoryStream();
        ms.Write(PngDecoder.Signature);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, w);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), h);
        ihdr[8] = (byte)depth;
        ihdr[9] = (byte)colorType;
        WriteChunk(ms, "IHDR", ihdr);
        if (plte != null)
        {
            WriteChunk(ms, "PLTE", plte);
        }
        byte[] idat = raw;
        if (compress)
        {
            using var z = new MemoryStream();
            using (var zs = new ZLibStream(z, CompressionLevel.Fastest, leaveOpen: true))
            {
                zs.Write(raw);
            }
            idat = z.ToArray();
        }
        WriteChunk(ms, "IDAT", idat);
        WriteChunk(ms, "IEND", []);
        return ms.ToArray();
    }

    private static byte[] InsertChunk(byte[] png, string type, byte[] data)
    {
        using var ms = new MemoryStream();
        ms.Write(png, 0, 8 + 25); // signature + IHDR chunk
        WriteChunk(ms, type, data);
        ms.Write(png, 33, png.Length - 33);
        return ms.ToArray();
    }

    private static void WriteChunk(Stream s, string type, byte[] data)
    {
        var len = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        byte[] t = Encoding.ASCII.GetBytes(type);
        s.Write(t);
        s.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(len, Crc32.Append(Crc32.Compute(t), data));
        s.Write(len);
    }
}
