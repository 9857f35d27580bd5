// Reads Kaggle "Digit Recognizer" CSV files: train.csv (label,pixel0..pixel783) and the unlabelled
// test.csv (pixel0..pixel783), one 28x28 image of 0..255 bytes per row.
using System.Globalization;

namespace Mnist.ML.Trainer.Data;

/// <summary>
/// Loads the CSV format of Kaggle's "Digit Recognizer" competition. A header row is required; a
/// first column named "label" makes the file labelled, otherwise every label is 255 (unknown).
/// Files may be gzip-compressed. Errors name the file and the line. Stateless and thread-safe.
/// </summary>
public static class KaggleCsv
{
    /// <summary>Label stored for images of an unlabelled file (Kaggle's test.csv).</summary>
    public const byte Unlabelled = 255;

    /// <summary>Loads a Kaggle digit CSV file (raw or .gz).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DatasetFormatException">The header or a row is malformed; the message names the line.</exception>
    public static DigitDataset Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path} not found.", path);
        }
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Load(file, path);
    }

    /// <summary>Loads a Kaggle digit CSV from a stream; <paramref name="name"/> names it in error messages.</summary>
    /// <exception cref="DatasetFormatException">The header or a row is malformed; the message names the line.</exception>
    public static DigitDataset Load(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using Stream content = IdxReader.Decompressed(stream);
        using var reader = new StreamReader(content, leaveOpen: true);

        string? header = reader.ReadLine();
        if (header is null)
        {
            throw new DatasetFormatException(name, 1, "the file is empty; expected a header 'label,pixel0,...,pixel783' or 'pixel0,...,pixel783'.");
        }
        bool labelled = ParseHeader(header.AsSpan().TrimStart('\uFEFF').Trim(), name);
        int columns = DigitDataset.ImageSize + (labelled ? 1 : 0);

        var pixels = new List<byte>(1 << 20);
        var labels = new List<byte>();
        int lineNumber = 1;
        string? line;
        while ((line = reader.ReadLine()) != null)
        {
            lineNumber++;
            ReadOnlySpan<char> row = line.AsSpan().Trim();
            if (row.IsEmpty)
            {
                continue;
            }
            int column = 0;
            foreach (Range range in row.Split(','))
            {
                if (column >= columns)
                {
                    throw new DatasetFormatException(name, lineNumber, $"more than {columns} values; expected {columns}.");
                }
                ReadOnlySpan<char> field = row[range].Trim();
                if (!byte.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out byte value))
                {
                    throw new DatasetFormatException(name, lineNumber, $"column {column + 1} is '{field.ToString()}', not an integer 0..255.");
                }
                if (labelled && column == 0)
                {
                    if (value > 9)
                    {
                        throw new DatasetFormatException(name, lineNumber, $"label {value} is not a digit 0..9.");
                    }
                    labels.Add(value);
                }
                else
                {
                    pixels.Add(value);
                }
                column++;
            }
            if (column != columns)
            {
                throw new DatasetFormatException(name, lineNumber, $"{column} values; expected {columns} ({(labelled ? "label + " : "")}784 pixels).");
            }
            if (!labelled)
            {
                labels.Add(Unlabelled);
            }
        }
        return new DigitDataset(Pixels.ToUnitFloats(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(pixels)), [.. labels]);
    }

    private static bool ParseHeader(ReadOnlySpan<char> header, string name)
    {
        int column = 0;
        bool labelled = false;
        foreach (Range range in header.Split(','))
        {
            ReadOnlySpan<char> field = header[range].Trim().Trim('"');
            if (column == 0 && field.Equals("label", StringComparison.OrdinalIgnoreCase))
            {
                labelled = true;
            }
            else
            {
                int pixel = column - (labelled ? 1 : 0);
                if (!field.Equals($"pixel{pixel}", StringComparison.OrdinalIgnoreCase))
                {
                    throw new DatasetFormatException(name, 1, $"header column {column + 1} is '{field.ToString()}', expected 'pixel{pixel}'; the header must be 'label,pixel0,...,pixel783' or 'pixel0,...,pixel783'.");
                }
            }
            column++;
        }
        int expected = DigitDataset.ImageSize + (labelled ? 1 : 0);
        if (column != expected)
        {
            throw new DatasetFormatException(name, 1, $"the header has {column} columns; expected {expected}.");
        }
        return labelled;
    }
}
