// Builds the `mnist` command tree and runs it: one line on stderr and a documented exit code for
// every failure, stack traces only with --verbose, Ctrl+C as a cancellation token.
using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using Mnist.ML.Cli.Commands;

namespace Mnist.ML.Cli;

internal static class MnistCli
{
    /// <summary>Shows stack traces for failures; applies to every command.</summary>
    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Show details (stack traces) when a command fails.",
        Recursive = true,
    };

    internal const string Epilogue = """

        Exit codes:
          0    success
          1    unexpected error (a bug; rerun with --verbose for the stack trace)
          2    invalid command line
          3    bad input or data (missing or malformed file, checksum mismatch)
          4    network failure (mirror or URL unreachable)
          130  cancelled (Ctrl+C)

        Environment:
          MNIST_MIRRORS  base URLs tried by 'data fetch' instead of the canonical mirrors,
                         separated by commas or spaces (e.g. a local mirror or a test server)
        """;

    public static RootCommand Build()
    {
        var root = new RootCommand("mnist: handwritten-digit recognition for .NET. Fetch MNIST, train a CNN, evaluate it, predict digits in images, serve a REST API.")
        {
            Verbose,
            DataCommands.Build(),
            TrainCommand.Build(),
            EvaluateCommand.Build(),
            PredictCommand.Build(),
            ServeCommand.Build(),
        };
        HelpOption help = root.Options.OfType<HelpOption>().Single();
        help.Action = new HelpWithEpilogue((SynchronousCommandLineAction)help.Action!);
        RequireSubcommand(root, "mnist");
        return root;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        RootCommand root = Build();
        ParseResult parse = root.Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            // One line, no help dump: the first error says what is wrong.
            error.WriteLine($"mnist: {OneLine(string.Join(" ", parse.Errors.Select(e => e.Message).Distinct()))} (see 'mnist --help')");
            return (int)ExitCode.Usage;
        }
        var configuration = new InvocationConfiguration
        {
            Output = output,
            Error = error,
            EnableDefaultExceptionHandler = false, // Guarded below turns exceptions into one line + exit code
        };
        return await parse.InvokeAsync(configuration).ConfigureAwait(false);
    }

    /// <summary>
    /// Makes a command group without a subcommand a one-line usage error (exit 2) that lists the
    /// choices, instead of System.CommandLine's generic "Required command was not provided".
    /// </summary>
    public static void RequireSubcommand(Command group, string path) =>
        group.SetAction(parse =>
        {
            string choices = string.Join(", ", group.Subcommands.Select(c => c.Name));
            parse.InvocationConfiguration.Error.WriteLine($"mnist: '{path}' needs a command: {choices} (see '{path} --help')");
            return (int)ExitCode.Usage;
        });

    /// <summary>
    /// The action of a command: runs <paramref name="body"/> and maps its exceptions to one line on
    /// stderr and an <see cref="ExitCode"/>.
    /// </summary>
    public static Func<ParseResult, CancellationToken, Task<int>> Guarded(Func<ParseResult, CancellationToken, Task<ExitCode>> body) =>
        async (parse, cancellationToken) =>
        {
            TextWriter error = parse.InvocationConfiguration.Error;
            try
            {
                return (int)await body(parse, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                (ExitCode code, string message) = Describe(e, cancellationToken);
                error.WriteLine($"mnist: {OneLine(message)}");
                if (parse.GetValue(Verbose))
                {
                    error.WriteLine(e.ToString());
                }
                return (int)code;
            }
        };

    /// <summary>The exit code and message for a failure; only unexpected ones say "unexpected".</summary>
    internal static (ExitCode Code, string Message) Describe(Exception e, CancellationToken cancellationToken) => e switch
    {
        Output.CliException c => (c.Code, c.Message),
        OperationCanceledException when cancellationToken.IsCancellationRequested => (ExitCode.Cancelled, "cancelled."),
        Trainer.Data.MnistDownloadException d => (d.IsNetworkError ? ExitCode.Network : ExitCode.InputError, d.Message),
        Trainer.Data.DatasetFormatException => (ExitCode.InputError, e.Message),
        FileNotFoundException or DirectoryNotFoundException or InvalidDataException => (ExitCode.InputError, e.Message),
        UnauthorizedAccessException or IOException => (ExitCode.InputError, e.Message),
        HttpRequestException => (ExitCode.Network, e.Message),
        _ => (ExitCode.Unexpected, $"unexpected error: {e.GetType().Name}: {e.Message} (rerun with --verbose for details)"),
    };

    private static string OneLine(string message) => string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>The standard help, followed by the exit codes and environment variables.</summary>
    private sealed class HelpWithEpilogue(SynchronousCommandLineAction help) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            int result = help.Invoke(parseResult);
            parseResult.InvocationConfiguration.Output.WriteLine(Epilogue);
            return result;
        }
    }
}
