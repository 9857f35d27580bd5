// Test images made from the first MNIST test digits with Debian's PIL (an independent encoder):
// dark ink on white paper, upscaled to 84x84, saved as PNG, JPEG (PIL's default quality 75), BMP and GIF.
using Mnist.ML.Testing;

namespace Mnist.ML.Cli.Tests;

internal static class TestDigits
{
    public static readonly string[] Formats = ["png", "jpg", "bmp", "gif"];

    private const string Script = """
        import sys
        from PIL import Image
        images, out, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
        raw = open(images, 'rb').read()[16:]
        for i in range(count):
            ink = Image.frombytes('L', (28, 28), raw[i * 784:(i + 1) * 784])
            paper = Image.eval(ink, lambda v: 255 - v).resize((84, 84), Image.BILINEAR)
            for fmt in ['png', 'jpg', 'bmp', 'gif']:
                paper.save(f'{out}/digit{i}.{fmt}')
        """;

    /// <summary>The labels of the first test digits: 7, 2, 1, 0.</summary>
    public static readonly int[] Labels = [7, 2, 1, 0];

    /// <summary>Writes digit{i}.{png,jpg,bmp,gif} for the first <see cref="Labels"/>.Length test digits into <paramref name="folder"/>.</summary>
    public static void Write(string folder)
    {
        CliProcess.RunPython(Script, Path.Combine(TestPaths.MnistDir, "t10k-images-idx3-ubyte"), folder, Labels.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    public static string FileOf(string folder, int index, string format) => Path.Combine(folder, $"digit{index}.{format}");
}
