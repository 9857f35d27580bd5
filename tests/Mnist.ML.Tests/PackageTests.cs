// Proof that Mnist.ML works as a NuGet package: pack it, restore it into a fresh console app from a
// local feed, run samples/PredictSample/Program.cs against it on digit images, check the digits.
using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Mnist.ML.Testing;
using Mnist.ML.Tests.Onnx;

namespace Mnist.ML.Tests;

[TestClass]
public sealed partial class PackageTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [TestCategory("Package")]
    [Timeout(900_000, CooperativeCancellation = true)]
    public void PackedLibrary_RecognisesDigitsInAFreshConsoleApp()
    {
        string root = Path.Combine(Path.GetTempPath(), "mnist-ml-package-" + Guid.NewGuid().ToString("N")[..8]);
        string feed = Path.Combine(root, "feed"), app = Path.Combine(root, "app");
        Directory.CreateDirectory(app);
        try
        {
            ReferenceTools.Run("dotnet", "pack", TestPaths.Combine("src", "Mnist.ML"), "-c", "Release", "-o", feed, "-nologo", "-v", "q");
            string nupkg = Directory.GetFiles(feed, "Mnist.ML.*.nupkg").Single();
            string version = PackageVersion().Match(Path.GetFileName(nupkg)).Groups[1].Value;
            AssertPackageContents(nupkg);

            // A console app outside the repository (so no Directory.*.props apply), restoring Mnist.ML from
            // the local feed and its dependencies from nuget.org, with a private packages folder so a stale
            // Mnist.ML in the machine's cache cannot stand in for the one just packed.
            XDocument config = XDocument.Load(TestPaths.Combine("nuget.config"));
            XElement sources = config.Root!.Element("packageSources")!;
            sources.Add(new XElement("add", new XAttribute("key", "local"), new XAttribute("value", feed)));
            string shared = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            config.Root.Add(new XElement("fallbackPackageFolders", new XElement("add", new XAttribute("key", "machine"), new XAttribute("value", shared))));
            config.Save(Path.Combine(app, "nuget.config"));
            File.WriteAllText(Path.Combine(app, "app.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <Nullable>enable</Nullable>
                    <RestorePackagesPath>{Path.Combine(root, "packages")}</RestorePackagesPath>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="Mnist.ML" Version="[{version}]" />
                  </ItemGroup>
                </Project>
                """);
            File.Copy(TestPaths.Combine("samples", "PredictSample", "Program.cs"), Path.Combine(app, "Program.cs"));

            int[] labels = PredictorFixtures.DigitLabels;
            int[] picks = [0, 1, 2];
            string[] images = picks.Select((index, i) => PredictorFixtures.Digit(index, new[] { "png", "jpg", "bmp" }[i])).ToArray();
            string output = ReferenceTools.Run("dotnet", ["run", "--project", Path.Combine(app, "app.csproj"), "-c", "Release", "--", .. images]);
            TestContext.WriteLine(output);
            for (int i = 0; i < images.Length; i++)
            {
                Match line = Regex.Match(output, Regex.Escape(images[i]) + @": (\d) \(");
                Assert.IsTrue(line.Success, $"no prediction printed for {images[i]}:\n{output}");
                Assert.AreEqual(labels[picks[i]], int.Parse(line.Groups[1].Value), images[i]);
            }
            Assert.IsFalse(Directory.Exists(Path.Combine(app, "bin", "Release", "net10.0", "runtimes")), "The package must bring no native assets.");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void AssertPackageContents(string nupkg)
    {
        using ZipArchive zip = ZipFile.OpenRead(nupkg);
        string[] entries = zip.Entries.Select(e => e.FullName).ToArray();
        CollectionAssert.Contains(entries, "README.md");
        CollectionAssert.Contains(entries, "lib/net10.0/Mnist.ML.dll");
        CollectionAssert.Contains(entries, "lib/net10.0/Mnist.ML.xml");
        Assert.IsFalse(entries.Any(e => e.StartsWith("runtimes/", StringComparison.Ordinal)), "native assets in the package: " + string.Join(", ", entries));
        string nuspec = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open()).ReadToEnd();
        StringAssert.Contains(nuspec, "<readme>README.md</readme>");
        Assert.DoesNotContain("Grpc.Tools", nuspec, "a build-time tool leaked into the package's dependencies");
        using var dll = new MemoryStream();
        zip.GetEntry("lib/net10.0/Mnist.ML.dll")!.Open().CopyTo(dll);
        // Manifest resource names sit in the metadata's UTF-8 string heap: no need to load the assembly.
        Assert.IsGreaterThanOrEqualTo(0, dll.ToArray().AsSpan().IndexOf("Mnist.ML.Models.mnist-cnn.onnx"u8), "the packed Mnist.ML.dll does not embed the model");
    }

    [GeneratedRegex(@"^Mnist\.ML\.(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)\.nupkg$")]
    private static partial Regex PackageVersion();
}
