// Training checkpoints in our own versioned binary format (little-endian):
//   "MNCK" | int32 version (1) | string spec | int32 epochs completed | int32 optimizer kind |
//   int64 optimizer steps | 4 x uint64 RNG state | floats parameters | floats buffers |
//   int32 n, n x floats optimizer state | double best validation loss | int32 best epoch |
//   int32 epochs without improvement | bool has best | [floats best parameters | floats best buffers]
// where "floats" is an int32 length then the float32 values and "string" is BinaryWriter's.
using System.Runtime.InteropServices;
using System.Text;
using Mnist.ML.Trainer.Optim;

namespace Mnist.ML.Trainer.Training;

/// <summary>Everything a resumed run needs to continue exactly where a checkpoint was taken.</summary>
internal sealed class CheckpointState
{
    public required string Spec { get; init; }
    public required int EpochsCompleted { get; init; }
    public required OptimizerKind Optimizer { get; init; }
    public required long OptimizerSteps { get; init; }
    public required ulong[] RngState { get; init; }
    public required float[] Parameters { get; init; }
    public required float[] Buffers { get; init; }
    public required float[][] OptimizerState { get; init; }
    public double BestValidationLoss { get; init; } = double.PositiveInfinity;
    public int BestEpoch { get; init; }
    public int EpochsWithoutImprovement { get; init; }
    public float[]? BestParameters { get; init; }
    public float[]? BestBuffers { get; init; }
}

internal static class Checkpoint
{
    private const string Magic = "MNCK";
    public const int Version = 1;

    /// <summary>Writes to a temporary file, then renames, so a crash never leaves half a checkpoint.</summary>
    public static void Save(string path, CheckpointState s)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir != null) Directory.CreateDirectory(dir);
        string temp = path + ".tmp";
        using (var w = new BinaryWriter(File.Create(temp), Encoding.UTF8))
        {
            w.Write(Encoding.ASCII.GetBytes(Magic));
            w.Write(Version);
            w.Write(s.Spec);
            w.Write(s.EpochsCompleted);
            w.Write((int)s.Optimizer);
            w.Write(s.OptimizerSteps);
            foreach (ulong word in s.RngState) w.Write(word);
            WriteFloats(w, s.Parameters);
            WriteFloats(w, s.Buffers);
            w.Write(s.OptimizerState.Length);
            foreach (var state in s.OptimizerState) WriteFloats(w, state);
            w.Write(s.BestValidationLoss);
            w.Write(s.BestEpoch);
            w.Write(s.EpochsWithoutImprovement);
            w.Write(s.BestParameters != null);
            if (s.BestParameters != null)
            {
                WriteFloats(w, s.BestParameters);
                WriteFloats(w, s.BestBuffers ?? []);
            }
        }
        File.Move(temp, path, overwrite: true);
    }

    public static CheckpointState Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint {path} does not exist.", path);
        try
        {
            using var r = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
            if (Encoding.ASCII.GetString(r.ReadBytes(4)) != Magic) throw Invalid(path, "it does not start with MNCK; it is not a Mnist.ML checkpoint");
            int version = r.ReadInt32();
            if (version != Version) throw Invalid(path, $"it has format version {version}; this library reads version {Version}");
            string spec = r.ReadString();
            int epochs = r.ReadInt32();
            var kind = (OptimizerKind)r.ReadInt32();
            long steps = r.ReadInt64();
            ulong[] rng = [r.ReadUInt64(), r.ReadUInt64(), r.ReadUInt64(), r.ReadUInt64()];
            var parameters = ReadFloats(r);
            var buffers = ReadFloats(r);
            var optimizerState = new float[r.ReadInt32()][];
            for (int i = 0; i < optimizerState.Length; i++) optimizerState[i] = ReadFloats(r);
            double bestLoss = r.ReadDouble();
            int bestEpoch = r.ReadInt32();
            int without = r.ReadInt32();
            float[]? bestParameters = null, bestBuffers = null;
            if (r.ReadBoolean())
            {
                bestParameters = ReadFloats(r);
                bestBuffers = ReadFloats(r);
            }
            return new CheckpointState
            {
                Spec = spec, EpochsCompleted = epochs, Optimizer = kind, OptimizerSteps = steps, RngState = rng,
                Parameters = parameters, Buffers = buffers, OptimizerState = optimizerState,
                BestValidationLoss = bestLoss, BestEpoch = bestEpoch, EpochsWithoutImprovement = without,
                BestParameters = bestParameters, BestBuffers = bestBuffers,
            };
        }
        catch (EndOfStreamException e)
        {
            throw Invalid(path, "it ends early (truncated or still being written)", e);
        }
    }

    private static InvalidDataException Invalid(string path, string why, Exception? inner = null) =>
        new($"Cannot read checkpoint {path}: {why}.", inner);

    private static void WriteFloats(BinaryWriter w, float[] values)
    {
        w.Write(values.Length);
        w.Write(MemoryMarshal.AsBytes(values.AsSpan()));
    }

    private static float[] ReadFloats(BinaryReader r)
    {
        int length = r.ReadInt32();
        if (length < 0 || length > r.BaseStream.Length / 4) throw new EndOfStreamException();
        var values = new float[length];
        var bytes = MemoryMarshal.AsBytes(values.AsSpan());
        if (r.Read(bytes) != bytes.Length) throw new EndOfStreamException();
        return values;
    }
}
