// Pins the public surface of Mnist.ML.Imaging: anything added or removed here is a deliberate API change.
using System.Reflection;
using Mnist.ML.Imaging;

namespace Mnist.ML.Tests.Imaging;

[TestClass]
public sealed class ImagingPublicApiTests
{
    [TestMethod]
    public void PublicSurfaceIsExactlyThis()
    {
        string[] expected =
        [
            "ImageDecodeOptions: Default, MaxBytes, MaxPixels",
            "ImageFormatException: .ctor(String), .ctor(String, Exception)",
            "MnistPreprocessor: FromPixels(ReadOnlySpan`1), Preprocess(ReadOnlySpan`1, ImageDecodeOptions), Preprocess(Stream, ImageDecodeOptions), PreprocessAsync(Stream, ImageDecodeOptions, CancellationToken), PreprocessingVersion",
            "PreprocessedDigit: HasInk, Pixels, ToPng()",
            "UnsupportedImageException: .ctor(String)",
        ];
        var actual = typeof(MnistPreprocessor).Assembly.GetExportedTypes()
            .Where(t => t.Namespace == "Mnist.ML.Imaging")
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .Select(t => $"{t.Name}: {string.Join(", ", DeclaredMembers(t))}")
            .ToArray();
        CollectionAssert.AreEqual(expected, actual, "actual:\n" + string.Join("\n", actual));
    }

    private static IEnumerable<string> DeclaredMembers(Type t)
    {
        const BindingFlags flags = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        return t.GetMembers(flags)
            .Where(m => m is not MethodInfo { IsSpecialName: true } && !IsRecordPlumbing(m))
            .Select(m => m switch
            {
                MethodBase mb => $"{(mb is ConstructorInfo ? ".ctor" : mb.Name)}({string.Join(", ", mb.GetParameters().Select(p => p.ParameterType.Name))})",
                _ => m.Name,
            })
            .Distinct()
            .OrderBy(s => s, StringComparer.Ordinal);
    }

    // Records generate Equals/GetHashCode/ToString/PrintMembers/Deconstruct/<Clone>$: not API we design.
    private static bool IsRecordPlumbing(MemberInfo m) =>
        m.DeclaringType == typeof(ImageDecodeOptions) &&
        (m is ConstructorInfo || m.Name is "Equals" or "GetHashCode" or "ToString" or "PrintMembers" or "<Clone>$" or "EqualityContract");
}
