// The one exception every data loader throws for a file that is not what it claims to be.
namespace Mnist.ML.Trainer.Data;

/// <summary>
/// A data file is malformed: wrong magic number, wrong dimensions, truncated, a bad CSV row, a
/// checksum that does not match. The message names the file (and the line, for text formats) and
/// says what is wrong. Safe to share between threads (immutable).
/// </summary>
public sealed class DatasetFormatException : Exception
{
    /// <summary>Creates the exception for <paramref name="filePath"/>; the message becomes "path: problem".</summary>
    public DatasetFormatException(string filePath, string problem, Exception? innerException = null)
        : this(filePath, null, problem, innerException)
    {
    }

    /// <summary>Creates the exception for a line of a text file; the message becomes "path, line N: problem".</summary>
    public DatasetFormatException(string filePath, int? lineNumber, string problem, Exception? innerException = null)
        : base(lineNumber is int line ? $"{filePath}, line {line}: {problem}" : $"{filePath}: {problem}", innerException)
    {
        FilePath = filePath;
        LineNumber = lineNumber;
    }

    /// <summary>The file (or, for streams, the name given by the caller) that is malformed.</summary>
    public string FilePath { get; }

    /// <summary>The 1-based line of a text file that is malformed; null for binary files.</summary>
    public int? LineNumber { get; }
}
