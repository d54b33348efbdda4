using System.Reflection;
using System.Reflection.Emit;

namespace HistoPrognosis.Tests;

/// <summary>
/// Dependencies point one way: the survival statistics know no TorchSharp; no pipeline stage knows the studies,
/// the reports, the workflow or the CLI; and the stage namespaces have no cycles. Read from the compiled library
/// (signatures, fields, base types and every member a method body touches), so nothing slips past a text search.
/// </summary>
public sealed class LayeringTests
{
    private const string Root = "HistoPrognosis";
    private static readonly string[] Stages = ["Slides", "Tiling", "Stain", "Transforms", "Imaging", "Data", "Models", "Training", "Features", "Mil", "Survival", "Simulation"];
    private static readonly string[] Above = ["Studies", "Reports", "Workflow", "Cli"];

    private static readonly Lazy<Dictionary<string, HashSet<string>>> Graph = new(Build);

    /// <summary>Second namespace segment ("Mil" of HistoPrognosis.Mil.X) → namespaces (assembly-qualified for foreign ones) it uses.</summary>
    private static Dictionary<string, HashSet<string>> Build()
    {
        var graph = new Dictionary<string, HashSet<string>>();
        var assembly = typeof(UserInputException).Assembly;
        foreach (var type in assembly.GetTypes())
        {
            var from = Segment(type);
            if (from is null) continue;
            var uses = graph.TryGetValue(from, out var set) ? set : graph[from] = [];
            foreach (var used in Referenced(type)) uses.Add(Name(used));
        }
        return graph;
    }

    private static string? Segment(Type type)
    {
        var ns = (type.DeclaringType is { } d ? Outer(d) : type).Namespace ?? "";
        var parts = ns.Split('.');
        return parts[0] == Root ? (parts.Length > 1 ? parts[1] : "") : null;
    }

    private static Type Outer(Type type) => type.DeclaringType is { } d ? Outer(d) : type;

    private static string Name(Type type)
    {
        if (type.Assembly == typeof(UserInputException).Assembly) return Segment(type) ?? "";
        return type.Assembly.GetName().Name + ":" + (type.Namespace ?? "");
    }

    private static IEnumerable<Type> Referenced(Type type)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var found = new List<Type>();
        void Add(Type? t)
        {
            if (t is null) return;
            if (t.HasElementType) { Add(t.GetElementType()); return; }
            if (t.IsGenericType && !t.IsGenericTypeDefinition) foreach (var a in t.GetGenericArguments()) Add(a);
            if (!t.IsGenericParameter) found.Add(t.IsGenericType ? t.GetGenericTypeDefinition() : t);
        }
        Add(type.BaseType);
        foreach (var i in type.GetInterfaces()) Add(i);
        foreach (var f in type.GetFields(all)) Add(f.FieldType);
        foreach (var p in type.GetProperties(all)) Add(p.PropertyType);
        foreach (var m in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
        {
            if (m is MethodInfo mi) Add(mi.ReturnType);
            foreach (var p in m.GetParameters()) Add(p.ParameterType);
            var body = m.GetMethodBody();
            if (body is null) continue;
            foreach (var local in body.LocalVariables) Add(local.LocalType);
            foreach (var member in Tokens(m, body.GetILAsByteArray() ?? []))
                switch (member)
                {
                    case Type t: Add(t); break;
                    case MethodBase callee: Add(callee.DeclaringType); break;
                    case FieldInfo field: Add(field.DeclaringType); Add(field.FieldType); break;
                }
        }
        return found;
    }

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    /// <summary>The members named by the metadata tokens of a method body's instructions.</summary>
    private static IEnumerable<MemberInfo> Tokens(MethodBase method, byte[] il)
    {
        var members = new List<MemberInfo>();
        Type[]? typeArgs = method.DeclaringType is { IsGenericType: true } dt ? dt.GetGenericArguments() : null;
        Type[]? methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (int i = 0; i < il.Length;)
        {
            short value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            i += il[i] == 0xFE ? 2 : 1;
            var op = OpCodesByValue[value];
            int size = op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, i),
                _ => 4,
            };
            if (op.OperandType is OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok)
            {
                try
                {
                    members.Add(method.Module.ResolveMember(BitConverter.ToInt32(il, i), typeArgs, methodArgs)!);
                }
                catch (ArgumentException) { }
            }
            i += size;
        }
        return members;
    }

    [Fact]
    public void SurvivalStatisticsDoNotDependOnTorchSharp()
    {
        var torch = Graph.Value["Survival"].Where(n => n.StartsWith("TorchSharp", StringComparison.Ordinal)).ToList();
        Assert.True(torch.Count == 0, $"Survival uses {string.Join(", ", torch)}");
    }

    [Fact]
    public void NoStageDependsOnStudiesReportsWorkflowOrTheCli()
    {
        var violations = Stages.Where(Graph.Value.ContainsKey)
            .SelectMany(s => Graph.Value[s].Where(Above.Contains).Select(a => $"{s} → {a}")).ToList();
        Assert.True(violations.Count == 0, string.Join("; ", violations));
    }

    [Fact]
    public void StageNamespacesHaveNoCycles()
    {
        var edges = Stages.Where(Graph.Value.ContainsKey).ToDictionary(s => s, s => Graph.Value[s].Where(t => t != s && Stages.Contains(t)).ToHashSet());
        var cycles = new List<string>();
        foreach (var a in edges.Keys)
            foreach (var b in edges[a])
                if (Reaches(edges, b, a, [])) cycles.Add($"{a} → {b} → … → {a}");
        Assert.True(cycles.Count == 0, string.Join("; ", cycles));
    }

    [Fact]
    public void TheCheckSeesRealDependencies()
    {
        // Guards the guard: known edges must be found, or an empty graph would pass everything.
        Assert.Contains("TorchSharp:TorchSharp", Graph.Value["Mil"]);
        Assert.Contains("Survival", Graph.Value["Mil"]);
        Assert.Contains("Studies", Graph.Value["Workflow"]);
    }

    private static bool Reaches(Dictionary<string, HashSet<string>> edges, string from, string to, HashSet<string> seen)
    {
        if (from == to) return true;
        if (!seen.Add(from) || !edges.TryGetValue(from, out var next)) return false;
        return next.Any(n => Reaches(edges, n, to, seen));
    }
}
