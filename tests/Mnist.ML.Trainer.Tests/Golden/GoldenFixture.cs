// Reads golden.bin, the PyTorch reference tensors written by make_golden.py (format in its docstring).
using System.Text;
using Mnist.ML.Testing;

namespace Mnist.ML.Trainer.Tests.Golden;

internal sealed class GoldenFixture
{
    private readonly Dictionary<string, float[]> _tensors = [];

    public static GoldenFixture Instance { get; } = Load(TestPaths.Combine("tests", "Mnist.ML.Trainer.Tests", "Golden", "golden.bin"));

    public float[] this[string name] =>
        _tensors.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"golden.bin has no tensor '{name}'; regenerate it with /usr/bin/python3 make_golden.py.");

    public bool Contains(string name) => _tensors.ContainsKey(name);

    private static GoldenFixture Load(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        if (Encoding.ASCII.GetString(reader.ReadBytes(4)) != "MNGF") throw new InvalidDataException($"{path} is not a golden fixture.");
        int version = reader.ReadInt32();
        if (version != 1) throw new InvalidDataException($"{path} has version {version}, expected 1.");
        var fixture = new GoldenFixture();
        int count = reader.ReadInt32();
        for (int i = 0; i < count; i++)
        {
            string name = Encoding.UTF8.GetString(reader.ReadBytes(reader.ReadInt32()));
            int rank = reader.ReadInt32();
            int length = 1;
            for (int d = 0; d < rank; d++) length *= reader.ReadInt32();
            var values = new float[length];
            for (int j = 0; j < length; j++) values[j] = reader.ReadSingle();
            fixture._tensors[name] = values;
        }
        return fixture;
    }
}
