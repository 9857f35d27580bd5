// The mnist tool as a user sees it: help, exit codes, one-line errors without stack traces.
namespace Mnist.ML.Cli.Tests;

[TestClass]
public sealed class MnistCliTests
{
    [TestMethod]
    public async Task HelpListsEveryCommandAndTheExitCodes()
    {
        CliResult result = await CliProcess.RunAsync(["--help"]);

        Assert.AreEqual(0, result.ExitCode, result.ToString());
        foreach (string command in new[] { "data", "train", "evaluate", "predict", "serve" })
        {
            StringAssert.Contains(result.Stdout, "  " + command + " ", result.ToString());
        }
        StringAssert.Contains(result.Stdout, "Exit codes:");
        StringAssert.Contains(result.Stdout, "130  cancelled");
        StringAssert.Contains(result.Stdout, "MNIST_MIRRORS");
    }

    [TestMethod]
    [DataRow("train", "--arch", "--epochs", "--batch-size", "--validation", "--augment", "--optimizer", "--lr", "--seed", "--resume", "--limit", "--out", "--data")]
    [DataRow("evaluate", "--model", "--data", "--report")]
    [DataRow("predict", "file|url", "--model", "--json", "--debug-image", "--allow-host")]
    [DataRow("serve", "--urls", "--model", "--config")]
    [DataRow("data fetch", "--dir")]
    [DataRow("data info", "--dir")]
    public async Task CommandHelpDocumentsItsOptions(string command, params string[] options)
    {
        CliResult result = await CliProcess.RunAsync([.. command.Split(' '), "--help"]);

        Assert.AreEqual(0, result.ExitCode, result.ToString());
        foreach (string option in options)
        {
            StringAssert.Contains(result.Stdout, option, result.ToString());
        }
    }

    [TestMethod]
    [DataRow("train --bogus")]
    [DataRow("trian")]
    [DataRow("train --epochs x")]
    [DataRow("train --epochs 0")]
    [DataRow("train --validation 1.5")]
    [DataRow("train --optimizer rmsprop")]
    [DataRow("train --arch conv3x-bogus")]
    [DataRow("train --limit 0")]
    [DataRow("train --lr -1")]
    [DataRow("evaluate --model")]
    [DataRow("predict --json")]
    [DataRow("predict x.png --debug-image")]
    [DataRow("serve --port 80")]
    [DataRow("predict")]
    [DataRow("data")]
    [DataRow("")]
    public async Task InvalidCommandLineIsExit2WithOneLine(string args)
    {
        CliResult result = await CliProcess.RunAsync(args.Split(' ', StringSplitOptions.RemoveEmptyEntries));

        Assert.AreEqual(2, result.ExitCode, result.ToString());
        AssertOneErrorLine(result);
        Assert.AreEqual("", result.Stdout, result.ToString());
    }

    internal static void AssertOneErrorLine(CliResult result)
    {
        string[] lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.HasCount(1, lines, result.ToString());
        StringAssert.StartsWith(lines[0], "mnist: ", result.ToString());
        Assert.DoesNotContain("   at ", result.Stderr, result.ToString());
    }
}
