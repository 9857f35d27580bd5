// One compiled schedule of the graph for one set of concrete input shapes: nodes in topological
// order with shapes inferred, constant subgraphs (including Shape -> Gather -> Concat chains) folded,
// views aliased, and float buffers packed into one arena by liveness. Run rents an arena per call
// from a pool, so one plan serves many threads at once without sharing mutable buffers.
using System.Collections.Concurrent;
using Mnist.ML.Onnx.Executor.Operators;

namespace Mnist.ML.Onnx.Executor;

internal sealed class ExecutionPlan
{
    private const int Alignment = 16; // floats: 64-byte aligned offsets inside the arena

    private readonly Step[] _steps;
    private readonly Slot[] _inputSlots;       // null entries for int64 inputs (plan constants)
    private readonly PlanValue[] _outputs;
    private readonly int _arenaLength;
    private readonly ConcurrentBag<float[]> _arenas = new();

    private sealed record Step(StepBody Body, Slot?[] Inputs, Slot[] Outputs, bool InPlace);

    private ExecutionPlan(int[][] inputShapes, long[]?[] inputValues, Step[] steps, Slot[] inputSlots, PlanValue[] outputs, int arenaLength)
    {
        InputShapes = inputShapes;
        InputValues = inputValues;
        _steps = steps;
        _inputSlots = inputSlots;
        _outputs = outputs;
        _arenaLength = arenaLength;
    }

    /// <summary>The input shapes this plan was built for.</summary>
    public int[][] InputShapes { get; }

    /// <summary>Values of int64 inputs (shape-like parameters), which the plan folded in.</summary>
    public long[]?[] InputValues { get; }

    public int ArenaLength => _arenaLength;

    /// <summary>How many steps a run executes (fused nodes count once).</summary>
    public int StepCount => _steps.Length;

    public IReadOnlyList<PlanValue> Outputs => _outputs;

    public static ExecutionPlan Build(OnnxGraph graph, int[][] inputShapes, long[]?[] inputValues)
    {
        var values = new Dictionary<string, PlanValue>(StringComparer.Ordinal);
        foreach (var (name, tensor) in graph.Initializers)
            values[name] = new PlanValue(name, tensor.Shape, tensor.Type) { Constant = tensor };

        int bufferCount = 0;
        var inputSlots = new Slot[graph.Inputs.Count];
        for (int i = 0; i < graph.Inputs.Count; i++)
        {
            var info = graph.Inputs[i];
            if (info.Type == OnnxDataType.Int64)
            {
                long[] v = inputValues[i] ?? throw new InvalidOperationException("int64 input value missing.");
                values[info.Name] = new PlanValue(info.Name, inputShapes[i], OnnxDataType.Int64) { Constant = new OnnxTensor(inputShapes[i], v) };
                inputSlots[i] = null!;
            }
            else
            {
                var slot = new Slot { Length = OnnxTensor.SizeOf(inputShapes[i]), Buffer = bufferCount++ };
                inputSlots[i] = slot;
                values[info.Name] = new PlanValue(info.Name, inputShapes[i], OnnxDataType.Float) { Slot = slot };
            }
        }

        // How many times each value is read (node inputs and graph outputs): a step's output with a
        // single reader that is a Relu can have the Relu fused into the step, and a Conv's (or its
        // fused Relu's) single reader that is a 2x2 max pool can be pooled by the Conv itself.
        var readers = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var op in graph.Operators)
            foreach (string name in op.Node.Input)
                readers[name] = readers.GetValueOrDefault(name) + 1;
        foreach (var output in graph.Outputs) readers[output.Name] = readers.GetValueOrDefault(output.Name) + 1;

        var steps = new List<Step>();
        StepBody? lastWithRelu = null; // the last step's fused variant, while its output has not been fused yet
        string? lastOutput = null;     // and the name of that output (not a view of it: views may have other readers)
        Func<bool, StepBody>? lastWithPool = null; // the last step's variant fused with a 2x2 max pool
        string? poolable = null;       // the value that variant would pool: the step's output, or its fused Relu's
        bool poolableRelu = false;     // whether a Relu was fused into that step
        foreach (var op in graph.Operators)
        {
            var node = op.Node;
            if (op is PoolOp pool && lastWithPool is not null && node.Input.Count == 1 && node.Output.Count == 1
                && node.Input[0] == poolable && readers.GetValueOrDefault(node.Input[0]) == 1
                && values.TryGetValue(node.Input[0], out PlanValue? convolved) && convolved.Slot is { } convolvedSlot
                && ReferenceEquals(convolvedSlot, steps[^1].Outputs[0]) && pool.IsPlainMaxPool2x2(convolved.Shape))
            {
                // Conv [-> Relu] -> MaxPool 2x2: the convolution pools its own output; the full-size
                // output is never written (its buffer is simply never placed).
                int[] pooledShape = pool.Plan([convolved]).Shapes[0];
                var pooledSlot = new Slot { Length = OnnxTensor.SizeOf(pooledShape), Buffer = bufferCount++ };
                steps[^1] = steps[^1] with { Body = lastWithPool(poolableRelu), Outputs = [pooledSlot], InPlace = false };
                Define(values, node.Output[0], new PlanValue(node.Output[0], pooledShape, OnnxDataType.Float) { Slot = pooledSlot });
                (lastWithRelu, lastWithPool, poolable) = (null, null, null);
                continue;
            }
            if (op is UnaryOp { IsRelu: true } && lastWithRelu is not null && node.Input.Count == 1 && node.Output.Count == 1
                && node.Input[0] == lastOutput && values.TryGetValue(node.Input[0], out PlanValue? produced) && produced.Slot is { } producedSlot
                && ReferenceEquals(producedSlot, steps[^1].Outputs[0]) && readers.GetValueOrDefault(node.Input[0]) == 1)
            {
                // Conv/Gemm -> Relu: the producing step applies the ReLU itself; the Relu's output is
                // the same buffer under the Relu's name.
                steps[^1] = steps[^1] with { Body = lastWithRelu };
                lastWithRelu = null;
                (poolable, poolableRelu) = (node.Output[0], true);
                Define(values, node.Output[0], new PlanValue(node.Output[0], produced.Shape, OnnxDataType.Float) { Slot = producedSlot });
                continue;
            }
            var inputs = new PlanValue?[node.Input.Count];
            for (int i = 0; i < inputs.Length; i++)
                inputs[i] = node.Input[i].Length == 0 ? null : values[node.Input[i]];

            NodePlan plan;
            try
            {
                plan = op.Plan(inputs);
            }
            catch (OnnxModelException) { throw; }
            catch (Exception e) when (e is ArgumentException or InvalidDataException or InvalidOperationException or OverflowException or IndexOutOfRangeException)
            {
                throw op.Fail(e.Message, e);
            }

            for (int i = plan.Shapes.Length; i < node.Output.Count; i++)
            {
                if (node.Output[i].Length != 0) throw op.Fail($"output #{i} ('{node.Output[i]}') is not supported by Mnist.ML.");
            }

            if (plan.Constants is not null)
            {
                for (int i = 0; i < node.Output.Count && i < plan.Constants.Length; i++)
                    Define(values, node.Output[i], new PlanValue(node.Output[i], plan.Constants[i].Shape, plan.Constants[i].Type) { Constant = plan.Constants[i] });
                continue;
            }

            if (plan.IsView)
            {
                PlanValue source = inputs[0] ?? throw op.Fail("input #0 is required.");
                int[] shape = plan.Shapes[0];
                if (OnnxTensor.SizeOf(shape) != source.Length) throw op.Fail($"cannot view {ShapeText(source.Shape)} as {ShapeText(shape)}.");
                Define(values, node.Output[0], source.Constant is not null
                    ? new PlanValue(node.Output[0], shape, source.Type) { Constant = source.Constant.Reshape(shape) }
                    : new PlanValue(node.Output[0], shape, source.Type) { Slot = source.Slot });
                continue;
            }

            StepBody body = plan.Body ?? throw op.Fail("planned neither a step, a view nor constants.");
            bool allConstant = inputs.All(v => v is null || v.Constant is not null);
            var inSlots = new Slot?[inputs.Length];
            for (int i = 0; i < inputs.Length; i++)
            {
                PlanValue? v = inputs[i];
                if (v is null || v.Type != OnnxDataType.Float) continue;
                inSlots[i] = v.Constant is not null ? new Slot { Data = v.Constant.Floats, Length = v.Length } : v.Slot;
            }
            var outSlots = new Slot[plan.Shapes.Length];
            for (int i = 0; i < outSlots.Length; i++)
            {
                int length = OnnxTensor.SizeOf(plan.Shapes[i]);
                outSlots[i] = allConstant ? new Slot { Data = new float[length], Length = length } : new Slot { Length = length, Buffer = bufferCount++ };
            }

            if (allConstant)
            {
                // Constant folding: run the step once now on the constants.
                body(new StepIO([], inSlots, outSlots));
                for (int i = 0; i < outSlots.Length; i++)
                {
                    var t = new OnnxTensor(plan.Shapes[i], outSlots[i].Data!);
                    Define(values, node.Output[i], new PlanValue(node.Output[i], t.Shape, OnnxDataType.Float) { Constant = t });
                }
                continue;
            }

            steps.Add(new Step(body, inSlots, outSlots, plan.InPlace));
            lastWithRelu = outSlots.Length == 1 ? plan.BodyWithRelu : null;
            lastOutput = node.Output[0];
            lastWithPool = outSlots.Length == 1 ? plan.BodyWithMaxPool : null;
            (poolable, poolableRelu) = (node.Output[0], false);
            for (int i = 0; i < outSlots.Length; i++)
                Define(values, node.Output[i], new PlanValue(node.Output[i], plan.Shapes[i], OnnxDataType.Float) { Slot = outSlots[i] });
        }

        var outputs = new PlanValue[graph.Outputs.Count];
        for (int i = 0; i < outputs.Length; i++)
        {
            string name = graph.Outputs[i].Name;
            outputs[i] = values.TryGetValue(name, out var v) ? v : throw new OnnxModelException($"Graph output '{name}' is not produced by any node.");
        }

        int arenaLength = AllocateBuffers(bufferCount, inputSlots, steps, outputs);
        return new ExecutionPlan(inputShapes, inputValues, steps.ToArray(), inputSlots, outputs, arenaLength);
    }

    private static void Define(Dictionary<string, PlanValue> values, string name, PlanValue value)
    {
        if (name.Length != 0) values[name] = value;
    }

    /// <summary>
    /// Liveness-based packing: a buffer is born at the step that writes it and dies after its last
    /// reader; a dead buffer's range is reused by later outputs (best fit). Outputs of a step never
    /// overlap its inputs because a step's inputs are freed only after its outputs are placed, except
    /// for element-wise steps (Relu, Add, BatchNorm...) that overwrite an input dying at that step.
    /// </summary>
    private static int AllocateBuffers(int bufferCount, Slot[] inputSlots, List<Step> steps, PlanValue[] outputs)
    {
        var lastUse = new int[bufferCount];
        Array.Fill(lastUse, -1);
        for (int s = 0; s < steps.Count; s++)
        {
            foreach (var slot in steps[s].Inputs)
            {
                if (slot is { Data: null, Buffer: >= 0 }) lastUse[slot.Buffer] = s;
            }
        }
        foreach (var o in outputs)
        {
            if (o.Slot is { Buffer: >= 0 }) lastUse[o.Slot.Buffer] = int.MaxValue;
        }

        var free = new List<(int Offset, int Length)>();
        int top = 0;
        var offsets = new int[bufferCount];
        var lengths = new int[bufferCount];

        void Place(Slot slot)
        {
            int length = (slot.Length + Alignment - 1) / Alignment * Alignment;
            int best = -1;
            for (int i = 0; i < free.Count; i++)
            {
                if (free[i].Length >= length && (best < 0 || free[i].Length < free[best].Length)) best = i;
            }
            if (best >= 0)
            {
                var block = free[best];
                slot.Offset = block.Offset;
                if (block.Length == length) free.RemoveAt(best);
                else free[best] = (block.Offset + length, block.Length - length);
            }
            else
            {
                slot.Offset = top;
                top += length;
            }
            offsets[slot.Buffer] = slot.Offset;
            lengths[slot.Buffer] = length;
        }

        void Release(int buffer)
        {
            free.Add((offsets[buffer], lengths[buffer]));
            free.Sort((a, b) => a.Offset.CompareTo(b.Offset));
            for (int i = free.Count - 1; i > 0; i--)
            {
                if (free[i - 1].Offset + free[i - 1].Length == free[i].Offset)
                {
                    free[i - 1] = (free[i - 1].Offset, free[i - 1].Length + free[i].Length);
                    free.RemoveAt(i);
                }
            }
        }

        foreach (var slot in inputSlots)
        {
            if (slot is not null) Place(slot);
        }
        foreach (var slot in inputSlots)
        {
            if (slot is not null && lastUse[slot.Buffer] < 0) Release(slot.Buffer);
        }
        var inherited = new bool[bufferCount];
        for (int s = 0; s < steps.Count; s++)
        {
            Step step = steps[s];
            if (step.InPlace && step.Inputs[0] is { Data: null, Buffer: >= 0 } source && lastUse[source.Buffer] == s
                && source.Length == step.Outputs[0].Length && step.Inputs.Count(x => x == source) == 1)
            {
                // Element-wise step whose input dies here: write the output over it.
                Slot output = step.Outputs[0];
                output.Offset = source.Offset;
                offsets[output.Buffer] = offsets[source.Buffer];
                lengths[output.Buffer] = lengths[source.Buffer];
                inherited[source.Buffer] = true;
                for (int o = 1; o < step.Outputs.Length; o++) Place(step.Outputs[o]);
            }
            else
            {
                foreach (var slot in step.Outputs) Place(slot);
            }
            foreach (var slot in steps[s].Outputs)
            {
                if (lastUse[slot.Buffer] < 0) Release(slot.Buffer); // computed but never read
            }
            var released = new HashSet<int>();
            foreach (var slot in steps[s].Inputs)
            {
                if (slot is { Data: null, Buffer: >= 0 } && lastUse[slot.Buffer] == s && !inherited[slot.Buffer] && released.Add(slot.Buffer)) Release(slot.Buffer);
            }
        }
        return top;
    }

    /// <summary>Runs the plan: inputs are copied into a rented arena, outputs copied out into new tensors.</summary>
    public OnnxTensor[] Run(IReadOnlyList<OnnxTensor> inputs)
    {
        float[] arena = Rent();
        try
        {
            for (int i = 0; i < _inputSlots.Length; i++)
            {
                Slot s = _inputSlots[i];
                if (s is not null) inputs[i].Floats!.AsSpan().CopyTo(arena.AsSpan(s.Offset, s.Length));
            }
            return Execute(arena);
        }
        finally
        {
            _arenas.Add(arena);
        }
    }

    /// <summary>Runs a single-input plan straight from the caller's span.</summary>
    public OnnxTensor[] Run(ReadOnlySpan<float> input)
    {
        float[] arena = Rent();
        try
        {
            Slot s = _inputSlots[0];
            input.CopyTo(arena.AsSpan(s.Offset, s.Length));
            return Execute(arena);
        }
        finally
        {
            _arenas.Add(arena);
        }
    }

    private float[] Rent() => _arenas.TryTake(out float[]? arena) ? arena : new float[_arenaLength];

    private OnnxTensor[] Execute(float[] arena)
    {
        foreach (var step in _steps) step.Body(new StepIO(arena, step.Inputs, step.Outputs));
        var results = new OnnxTensor[_outputs.Length];
        for (int i = 0; i < results.Length; i++)
        {
            PlanValue v = _outputs[i];
            if (v.Constant is { } c)
            {
                results[i] = c.Floats is not null ? new OnnxTensor((int[])c.Shape.Clone(), (float[])c.Floats.Clone()) : new OnnxTensor((int[])c.Shape.Clone(), (long[])c.Longs!.Clone());
            }
            else
            {
                Slot s = v.Slot!;
                results[i] = new OnnxTensor((int[])v.Shape.Clone(), arena.AsSpan(s.Offset, s.Length).ToArray()); // callers own what they get
            }
        }
        return results;
    }

    private static string ShapeText(int[] shape) => "[" + string.Join(",", shape) + "]";
}
