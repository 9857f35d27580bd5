// Images the server tests send: real MNIST test digits as PNG (with their labels), a blank page, broken files.
using Mnist.ML.Imaging;
using Mnist.ML.Testing;

namespace Mnist.ML.Server.Tests;

internal static class TestImages
{
    private static readonly Lazy<byte[]> Images = new(() => File.ReadAllBytes(System.IO.Path.Combine(TestPaths.MnistDir, "t10k-images-idx3-ubyte")));
    private static readonly Lazy<byte[]> Labels = new(() => File.ReadAllBytes(System.IO.Path.Combine(TestPaths.MnistDir, "t10k-labels-idx1-ubyte")));

    /// <summary>MNIST test image <paramref name="index"/> as a 28x28 gray PNG (white ink on black, as in MNIST).</summary>
    public static byte[] MnistPng(int index) => PngEncoder.EncodeGray8(Images.Value.AsSpan(16 + index * 784, 784), 28, 28);

    /// <summary>The label of MNIST test image <paramref name="index"/>.</summary>
    public static int MnistLabel(int index) => Labels.Value[8 + index];

    /// <summary>A white 64x64 PNG: decodes fine, holds no digit.</summary>
    public static byte[] BlankPng()
    {
        var white = new byte[64 * 64];
        Array.Fill(white, (byte)255);
        return PngEncoder.EncodeGray8(white, 64, 64);
    }

    /// <summary>A PNG cut in the middle of its data.</summary>
    public static byte[] TruncatedPng()
    {
        byte[] png = MnistPng(0);
        return png[..(png.Length / 2)];
    }

    /// <summary>A PNG header that claims 100,000 x 100,000 pixels (10 gigapixels).</summary>
    public static byte[] HugeDimensionsPng()
    {
        byte[] png = MnistPng(0);
        // IHDR width and height are big-endian at offsets 16 and 20; the CRC no longer matches either.
        byte[] big = [0x00, 0x01, 0x86, 0xA0];
        big.CopyTo(png, 16);
        big.CopyTo(png, 20);
        return png;
    }
}
