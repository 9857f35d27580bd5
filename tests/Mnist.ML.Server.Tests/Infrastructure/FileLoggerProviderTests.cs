// The rolling file logger: JSON lines with the structured properties, a new file past the size limit, old files pruned.
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Mnist.ML.Server.Infrastructure;
using Mnist.ML.Testing;

namespace Mnist.ML.Server.Tests.Infrastructure;

[TestClass]
public sealed class FileLoggerProviderTests
{
    [TestMethod]
    public void Entries_are_json_lines_with_their_properties()
    {
        using var dir = new TempDir();
        using (var provider = new FileLoggerProvider(dir.Path))
        {
            provider.CreateLogger("Test").LogWarning("Predicted {Digit} in {ElapsedMs} ms", 7, 1.5);
        }

        string line = File.ReadAllLines(Directory.GetFiles(dir.Path).Single()).Single();
        using JsonDocument json = JsonDocument.Parse(line);
        Assert.AreEqual("Warning", json.RootElement.GetProperty("level").GetString());
        Assert.AreEqual("Test", json.RootElement.GetProperty("category").GetString());
        Assert.AreEqual("Predicted 7 in 1.5 ms", json.RootElement.GetProperty("message").GetString());
        Assert.AreEqual(7, json.RootElement.GetProperty("Digit").GetInt32());
        Assert.AreEqual(1.5, json.RootElement.GetProperty("ElapsedMs").GetDouble());
    }

    [TestMethod]
    public void Files_roll_over_past_the_size_limit_and_only_the_newest_are_kept()
    {
        using var dir = new TempDir();
        using (var provider = new FileLoggerProvider(dir.Path, maxFileBytes: 1000, retainedFiles: 3))
        {
            ILogger logger = provider.CreateLogger("Test");
            for (int i = 0; i < 100; i++)
            {
                logger.LogInformation("Entry {Index} {Padding}", i, new string('x', 100));
            }
        }

        string[] files = Directory.GetFiles(dir.Path, "mnist-server-*.log");
        Assert.IsLessThanOrEqualTo(3, files.Length, string.Join(", ", files));
        Assert.IsGreaterThanOrEqualTo(2, files.Length, "rolled over at least once");
        string newest = File.ReadAllText(files.OrderBy(f => f, StringComparer.Ordinal).Last());
        Assert.Contains("Entry 99 ", newest);
    }
}
