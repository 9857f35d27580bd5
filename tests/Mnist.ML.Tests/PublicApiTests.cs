// Pins the public surface of the Mnist.ML package, member by member, against PublicApi.txt: a change
// to what users can call must be a deliberate edit of that file, reviewed with the code.
using System.Reflection;
using Mnist.ML.Testing;

namespace Mnist.ML.Tests;

[TestClass]
public sealed class PublicApiTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void PublicApi_IsExactlyPublicApiTxt()
    {
        string expectedPath = TestPaths.Combine("tests", "Mnist.ML.Tests", "PublicApi.txt");
        string[] expected = File.ReadAllLines(expectedPath).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();
        string[] actual = Describe(typeof(MnistPredictor).Assembly);
        string actualPath = Path.Combine(Path.GetTempPath(), "mnist-ml-PublicApi.actual.txt");
        File.WriteAllLines(actualPath, actual);
        string added = string.Join("\n  ", actual.Except(expected));
        string removed = string.Join("\n  ", expected.Except(actual));
        Assert.IsTrue(added.Length == 0 && removed.Length == 0,
            $"The public API changed.\nadded:\n  {added}\nremoved:\n  {removed}\nIf intended, copy {actualPath} over {expectedPath} (keep its header).");
    }

    /// <summary>One line per public type and per public or protected member, sorted: "Type", "Type :: member".</summary>
    internal static string[] Describe(Assembly assembly)
    {
        var lines = new List<string>();
        foreach (Type type in assembly.GetExportedTypes())
        {
            string kind = type.IsEnum ? "enum" : type.IsInterface ? "interface" : type.IsValueType ? "struct"
                : type.IsAbstract && type.IsSealed ? "static class" : typeof(Delegate).IsAssignableFrom(type) ? "delegate" : "class";
            string bases = string.Join(", ", new[] { type.BaseType }.Concat(type.GetInterfaces().Except(type.BaseType?.GetInterfaces() ?? []))
                .Where(t => t is not null && t != typeof(object) && t != typeof(ValueType) && t != typeof(Enum)).Select(t => Name(t!)));
            lines.Add($"{kind} {Name(type)}{(bases.Length > 0 ? " : " + bases : "")}");
            const BindingFlags flags = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            foreach (MemberInfo m in type.GetMembers(flags))
            {
                string? member = m switch
                {
                    ConstructorInfo c when Visible(c) => $"ctor({Parameters(c)})",
                    MethodInfo mi when Visible(mi) && !mi.IsSpecialName => $"{(mi.IsStatic ? "static " : "")}{Name(mi.ReturnType)} {mi.Name}({Parameters(mi)})",
                    PropertyInfo p when p.GetMethod is { } g && Visible(g) => $"{(g.IsStatic ? "static " : "")}{Name(p.PropertyType)} {p.Name} {{ get;{(p.SetMethod is { } s && Visible(s) ? (s.ReturnParameter.GetRequiredCustomModifiers().Any(t => t.Name == "IsExternalInit") ? " init;" : " set;") : "")} }}",
                    FieldInfo f when (f.IsPublic || f.IsFamily) && !f.IsSpecialName => $"{(f.IsLiteral ? "const " : f.IsStatic ? "static " : "")}{Name(f.FieldType)} {f.Name}",
                    EventInfo e when e.AddMethod is { } a && Visible(a) => $"event {Name(e.EventHandlerType!)} {e.Name}",
                    _ => null,
                };
                if (member is not null && !IsCompilerGenerated(type, m))
                {
                    lines.Add($"{Name(type)} :: {member}");
                }
            }
        }
        return lines.Order(StringComparer.Ordinal).ToArray();
    }

    private static bool Visible(MethodBase m) => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly;

    // Records get Equals/GetHashCode/PrintMembers/<Clone>$/EqualityContract from the compiler; their shape follows the properties.
    private static bool IsCompilerGenerated(Type type, MemberInfo m) =>
        m.Name.StartsWith('<') || m.Name == "EqualityContract" || m.Name == "PrintMembers"
        || (type.GetMethod("<Clone>$") is not null && m is ConstructorInfo c && c.GetParameters() is [{ } p] && p.ParameterType == type);

    private static string Parameters(MethodBase m) => string.Join(", ", m.GetParameters().Select(p =>
        (p.ParameterType.IsByRef ? (p.IsOut ? "out " : "ref ") : "") + Name(p.ParameterType) + " " + p.Name + (p.HasDefaultValue ? " = " + (p.DefaultValue ?? (p.ParameterType.IsValueType ? "default" : "null")) : "")));

    private static string Name(Type t)
    {
        if (t.IsByRef) return Name(t.GetElementType()!);
        if (t.IsArray) return Name(t.GetElementType()!) + "[]";
        if (Nullable.GetUnderlyingType(t) is { } u) return Name(u) + "?";
        if (t.IsGenericParameter) return t.Name;
        string name = t.Namespace is "System" or "System.Collections.Generic" or "System.IO" or "System.Threading" or "System.Threading.Tasks" ? t.Name : t.FullName ?? t.Name;
        if (t.IsGenericType)
        {
            name = name[..name.IndexOf('`')] + "<" + string.Join(", ", t.GetGenericArguments().Select(Name)) + ">";
        }
        return name.Replace('+', '.');
    }
}
