// Format sniffing, limits, and hostile input: truncations and bit flips of valid files of every format may only
// decode or throw ImageFormatException / UnsupportedImageException, never anything else.
using Mnist.ML.Imaging;

namespace Mnist.ML.Tests.Imaging;

[TestClass]
public sealed class ImageDecoderTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void FormatComesFromTheBytesNotTheName()
    {
        // A PNG saved as .jpg (common from phones and web uploads) still decodes as PNG.
        string misnamed = Path.Combine(TestImages.Directory, "really-a-png.jpg");
        File.Copy(Path.Combine(TestImages.Directory, "pil-rgb.png"), misnamed, overwrite: true);
        byte[] data = File.ReadAllBytes(misnamed);
        Assert.AreEqual(ImageFormat.Png, ImageDecoder.Sniff(data));
        Assert.AreEqual(61, ImageDecoder.Decode(data).Width);
    }

    [TestMethod]
    public void UnknownFormatsAndEmptyInputAreUnsupportedWithClearMessages()
    {
        var e = Assert.ThrowsExactly<UnsupportedImageException>(() => ImageDecoder.Decode("RIFF\0\0\0\0WEBPVP8 "u8));
        StringAssert.Contains(e.Message, "WebP");
        StringAssert.Contains(e.Message, "PNG, JPEG, BMP, GIF");
        e = Assert.ThrowsExactly<UnsupportedImageException>(() => ImageDecoder.Decode(ReadOnlySpan<byte>.Empty));
        StringAssert.Contains(e.Message, "empty");
    }

    [TestMethod]
    public void StreamsOverTheByteLimitAreRefusedWithoutReadingThemWhole()
    {
        var options = new ImageDecodeOptions { MaxBytes = 1000 };
        using var stream = new EndlessStream();
        var e = Assert.ThrowsExactly<UnsupportedImageException>(() => ImageDecoder.Decode(stream, options));
        StringAssert.Contains(e.Message, "MaxBytes");
        Assert.IsLessThan(200_000L, stream.Position);
    }

    [TestMethod]
    public async Task AsyncStreamReadingHasTheSameLimitAndResult()
    {
        byte[] png = File.ReadAllBytes(Path.Combine(TestImages.Directory, "pil-gray.png"));
        using (var ok = new MemoryStream(png))
        {
            PreprocessedDigit digit = await MnistPreprocessor.PreprocessAsync(ok, cancellationToken: TestContext.CancellationToken);
            CollectionAssert.AreEqual(MnistPreprocessor.Preprocess(png).Pixels.ToArray(), digit.Pixels.ToArray());
        }
        using var endless = new EndlessStream();
        await Assert.ThrowsExactlyAsync<UnsupportedImageException>(() => MnistPreprocessor.PreprocessAsync(endless, new ImageDecodeOptions { MaxBytes = 1000 }, TestContext.CancellationToken));
    }

    [TestMethod]
    [DataRow("PNG")]
    [DataRow("JPEG")]
    [DataRow("BMP")]
    [DataRow("GIF")]
    public void HundredMegapixelHeadersAreRefusedBeforeAllocating(string format)
    {
        // 10,000 x 10,000 declared in a tiny file of each format.
        byte[] data = format switch
        {
            "PNG" => PngDecoderTests.BuildPng(10_000, 10_000, 2, 8, new byte[16]),
            "JPEG" => [0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8, 0x27, 0x10, 0x27, 0x10, 1, 1, 0x11, 0, 0xFF, 0xD9],
            "BMP" => Bmp(10_000, 10_000),
            _ => [.. "GIF89a"u8, 0x10, 0x27, 0x10, 0x27, 0, 0, 0, 0x3B],
        };
        var e = Assert.ThrowsExactly<UnsupportedImageException>(() => ImageDecoder.Decode(data));
        StringAssert.Contains(e.Message, "100,000,000 pixels");
    }

    [TestMethod]
    [DataRow("pil-rgb.png")]
    [DataRow("png-c3-d4-i1-19x13.png")]
    [DataRow("im-interlaced-rgba.png")]
    [DataRow("png-c0-d16-i0-23x9.png")]
    [DataRow("pil-420.jpg")]
    [DataRow("pil-420-progressive.jpg")]
    [DataRow("own-restart3-420.jpg")]
    [DataRow("own-restart4-420-progressive.jpg")]
    [DataRow("pil-gray-progressive.jpg")]
    [DataRow("pil-24.bmp")]
    [DataRow("im-4bit.bmp")]
    [DataRow("im-32-bitfields-alpha.bmp")]
    [DataRow("pil-transparent.gif")]
    [DataRow("im-interlaced.gif")]
    public void TruncatedAndBitFlippedFilesOnlyEverThrowOurTwoExceptions(string name)
    {
        byte[] valid = File.ReadAllBytes(Path.Combine(TestImages.Directory, name));
        ImageFormat format = ImageDecoder.Sniff(valid);
        var random = new Random(name.Length * 7919 + valid.Length); // deterministic per file
        int decoded = 0, corrupt = 0, unsupported = 0;
        var unexpected = new List<string>();

        void Try(byte[] data, string what)
        {
            try
            {
                // Unguarded: the safety net in Decode would hide a missing bounds check.
                ImageDecoder.DecodeUnguarded(data, ImageDecoder.Sniff(data), ImageDecodeOptions.Default);
                decoded++;
            }
            catch (ImageFormatException)
            {
                corrupt++;
            }
            catch (UnsupportedImageException)
            {
                unsupported++;
            }
            catch (Exception e)
            {
                unexpected.Add($"{what}: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
        }

        for (int length = 0; length < valid.Length; length += Math.Max(1, valid.Length / 150))
        {
            Try(valid[..length], $"truncated to {length}");
        }
        for (int i = 0; i < 300; i++)
        {
            byte[] data = (byte[])valid.Clone();
            int flips = 1 + random.Next(3);
            string what = "flipped";
            for (int f = 0; f < flips; f++)
            {
                // Half the flips land in the first 200 bytes, where the headers are.
                int at = random.Next(2) == 0 ? random.Next(Math.Min(200, data.Length)) : random.Next(data.Length);
                int bit = random.Next(8);
                data[at] ^= (byte)(1 << bit);
                what += $" byte {at} bit {bit}";
            }
            if (format == ImageFormat.Png && i % 2 == 0)
            {
                // Repair the CRCs so the flips reach the decoder proper instead of all failing the checksum.
                RepairPngCrcs(data);
                what += " (CRCs repaired)";
            }
            Try(data, what);
        }
        TestContext.WriteLine($"{name} ({format}): decoded {decoded}, ImageFormatException {corrupt}, UnsupportedImageException {unsupported}");
        Assert.IsEmpty(unexpected, string.Join("\n", unexpected.Take(20)));
        Assert.IsGreaterThan(0, corrupt, "truncations must be reported as corrupt");
    }

    private static void RepairPngCrcs(byte[] png)
    {
        int pos = 8;
        while (pos + 12 <= png.Length)
        {
            long length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
            if (length > png.Length - pos - 12)
            {
                return;
            }
            uint crc = Crc32.Compute(png.AsSpan(pos + 4, 4 + (int)length));
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(pos + 8 + (int)length), crc);
            pos += 12 + (int)length;
        }
    }

    private static byte[] Bmp(int w, int h)
    {
        var b = new byte[54];
        "BM"u8.CopyTo(b);
        BitConverter.GetBytes(54).CopyTo(b, 10);
        BitConverter.GetBytes(40).CopyTo(b, 14);
        BitConverter.GetBytes(w).CopyTo(b, 18);
        BitConverter.GetBytes(h).CopyTo(b, 22);
        BitConverter.GetBytes((short)1).CopyTo(b, 26);
        BitConverter.GetBytes((short)24).CopyTo(b, 28);
        return b;
    }

    /// <summary>A stream that never ends, to prove the reader stops at the limit.</summary>
    private sealed class EndlessStream : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            Array.Fill(buffer, (byte)0x42, offset, count);
            _position += count;
            return count;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
