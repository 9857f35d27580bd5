// Entry point of Mnist.ML.Server: everything is composed in MnistServer.CreateApp, which `mnist serve` reuses.
using Mnist.ML.Server;

await MnistServer.RunAsync(args);

/// <summary>Marker for WebApplicationFactory&lt;Program&gt; in the tests.</summary>
public partial class Program;
