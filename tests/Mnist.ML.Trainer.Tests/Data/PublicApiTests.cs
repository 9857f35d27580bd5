// Pins the public API of Mnist.ML.Trainer.Data: adding or changing a public member is a decision,
// made by editing PublicApi.Data.txt in the same commit.
using System.Reflection;
using Mnist.ML.Testing;
using Mnist.ML.Trainer.Data;

namespace Mnist.ML.Trainer.Tests.Data;

[TestClass]
public sealed class PublicApiTests
{
    [TestMethod]
    public void DataNamespaceApiIsPinned()
    {
        string expectedPath = TestPaths.Combine("tests", "Mnist.ML.Trainer.Tests", "Data", "PublicApi.Data.txt");
        string[] expected = File.ReadAllLines(expectedPath).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();

        string[] actual = Describe(typeof(DigitDataset).Assembly, typeof(DigitDataset).Namespace!);

        CollectionAssert.AreEqual(expected, actual, "Public API changed; if intended, update " + expectedPath + " with:\n" + string.Join('\n', actual));
    }

    private static string[] Describe(Assembly assembly, string ns)
    {
        const BindingFlags Declared = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var lines = new List<string>();
        foreach (Type type in assembly.GetExportedTypes().Where(t => t.Namespace == ns))
        {
            lines.Add($"type {type.Name}");
            foreach (MemberInfo member in type.GetMembers(Declared))
            {
                string? line = member switch
                {
                    MethodInfo m when m.IsSpecialName => null, // property accessors, operators of records
                    MethodInfo m when IsRecordPlumbing(m) => null,
                    MethodInfo m => $"{type.Name}.{m.Name}({Parameters(m)}) -> {Name(m.ReturnType)}",
                    ConstructorInfo c => $"{type.Name}..ctor({Parameters(c)})",
                    PropertyInfo p => $"{type.Name}.{p.Name} : {Name(p.PropertyType)}",
                    FieldInfo f when type.IsEnum && f.IsStatic => $"{type.Name}.{f.Name}",
                    FieldInfo f when !type.IsEnum => $"{type.Name}.{f.Name} : {Name(f.FieldType)}",
                    _ => null,
                };
                if (line != null)
                {
                    lines.Add("  " + line);
                }
            }
        }
        // Types by name, members sorted within each: stable across compilers and reflection order.
        return SortBlocks(lines).ToArray();
    }

    private static IEnumerable<string> SortBlocks(List<string> lines)
    {
        var blocks = new List<(string Type, List<string> Members)>();
        foreach (string line in lines)
        {
            if (line.StartsWith("type ", StringComparison.Ordinal))
            {
                blocks.Add((line, []));
            }
            else
            {
                blocks[^1].Members.Add(line);
            }
        }
        foreach (var (typeLine, members) in blocks.OrderBy(b => b.Type, StringComparer.Ordinal))
        {
            yield return typeLine;
            foreach (string m in members.Distinct().OrderBy(m => m, StringComparer.Ordinal))
            {
                yield return m;
            }
        }
    }

    private static bool IsRecordPlumbing(MethodInfo m) =>
        m.Name is "<Clone>$" or "Equals" or "GetHashCode" or "ToString" or "PrintMembers" or "Deconstruct" or "EqualityContract";

    private static string Parameters(MethodBase m) => string.Join(", ", m.GetParameters().Select(p => Name(p.ParameterType)));

    private static string Name(Type t)
    {
        if (t.IsByRef)
        {
            return Name(t.GetElementType()!) + "&";
        }
        if (t.IsArray)
        {
            return Name(t.GetElementType()!) + "[]";
        }
        if (!t.IsGenericType)
        {
            return t.Name;
        }
        string name = t.Name[..t.Name.IndexOf('`')];
        return $"{name}<{string.Join(", ", t.GetGenericArguments().Select(Name))}>";
    }
}
