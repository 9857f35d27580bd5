// The process exit codes of `mnist`, listed in every --help page.
namespace Mnist.ML.Cli;

/// <summary>Exit codes of the mnist tool; scripts can rely on them.</summary>
internal enum ExitCode
{
    /// <summary>Success.</summary>
    Ok = 0,

    /// <summary>An unexpected error (a bug): the message says so; --verbose shows the stack trace.</summary>
    Unexpected = 1,

    /// <summary>Invalid command line: unknown command or option, bad value.</summary>
    Usage = 2,

    /// <summary>Bad input or data: a missing or malformed file, a data set that fails its checks.</summary>
    InputError = 3,

    /// <summary>Network failure: a mirror or URL could not be reached.</summary>
    Network = 4,

    /// <summary>Cancelled with Ctrl+C (128 + SIGINT).</summary>
    Cancelled = 130,
}
