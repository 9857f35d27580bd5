// Byte pixels (0..255) to the 0..1 floats a DigitDataset holds, shared by every loader.
namespace Mnist.ML.Trainer.Data;

internal static class Pixels
{
    // value / 255f for every byte, computed once so that every loader maps a byte to the same float.
    private static readonly float[] UnitTable = BuildTable();

    /// <summary>Maps each byte b to b / 255f.</summary>
    public static float[] ToUnitFloats(ReadOnlySpan<byte> pixels)
    {
        var result = new float[pixels.Length];
        float[] table = UnitTable;
        for (int i = 0; i < pixels.Length; i++)
        {
            result[i] = table[pixels[i]];
        }
        return result;
    }

    /// <summary>b / 255f.</summary>
    public static float ToUnit(byte value) => UnitTable[value];

    private static float[] BuildTable()
    {
        var table = new float[256];
        for (int i = 0; i < table.Length; i++)
        {
            table[i] = i / 255f;
        }
        return table;
    }
}
