using TorchSharp.PyBridge;
using static TorchSharp.torch;
using HistoPrognosis.IO;

namespace HistoPrognosis.Models;

/// <summary>
/// Loads a PyTorch state dict saved as .safetensors into a module by torchvision names, checking every key and
/// shape so a wrong architecture fails with a message naming the tensor, never a silent partial load.
/// </summary>
public static class SafetensorsWeights
{
    /// <param name="ignoredPrefixes">Keys of parts we replace (e.g. torchvision's classifier <c>fc.</c>).</param>
    public static void Load(nn.Module module, string path, params string[] ignoredPrefixes) =>
        Load(module, path, key => ignoredPrefixes.Any(key.StartsWith) ? null : key);

    /// <summary>Loads only the tensors under <paramref name="keyPrefix"/> (e.g. <c>backbone.</c> of a saved classifier), prefix removed.</summary>
    public static void LoadPart(nn.Module module, string path, string keyPrefix) =>
        Load(module, path, key => key.StartsWith(keyPrefix, StringComparison.Ordinal) ? key[keyPrefix.Length..] : null);

    /// <param name="rename">the module's name for a file key, or null for a key that is deliberately not loaded</param>
    public static void Load(nn.Module module, string path, Func<string, string?> rename)
    {
        var source = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, value) in Read(path))
        {
            if (rename(key) is { } name) source[name] = value;
            else value.Dispose();
        }
        Assign(module, source, path);
    }

    /// <summary>
    /// Copies <paramref name="source"/> (the module's names) into the module, every key and shape checked, naming
    /// <paramref name="path"/> in the error; disposes the source tensors.
    /// </summary>
    public static void Assign(nn.Module module, Dictionary<string, Tensor> source, string path)
    {
        try
        {
            var target = module.state_dict();
            var unexpected = source.Keys.Where(k => !target.ContainsKey(k)).ToList();
            var missing = target.Keys.Where(k => !source.ContainsKey(k)).ToList();
            if (missing.Count > 0 || unexpected.Count > 0)
                throw new UserInputException($"{path}: does not match {module.GetName()} — missing {missing.Count} tensor(s) " +
                    $"[{string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? ", …" : "")}], unexpected {unexpected.Count} " +
                    $"[{string.Join(", ", unexpected.Take(5))}{(unexpected.Count > 5 ? ", …" : "")}]");
            using var noGrad = no_grad();
            foreach (var (name, destination) in target)
            {
                var value = source[name];
                if (!value.shape.SequenceEqual(destination.shape))
                    throw new UserInputException($"{path}: tensor '{name}' has shape [{string.Join(",", value.shape)}], {module.GetName()} needs [{string.Join(",", destination.shape)}]");
                destination.copy_(value.to_type(destination.dtype));
            }
        }
        finally
        {
            foreach (var t in source.Values) t.Dispose();
        }
    }

    /// <summary>
    /// Every tensor of a state dict file: <c>.safetensors</c>, or a PyTorch pickle (<c>.bin</c>, <c>.pt</c>, <c>.pth</c>,
    /// as <c>torch.save(model.state_dict())</c> writes it; a pickle of anything else is refused, naming the entry).
    /// </summary>
    public static Dictionary<string, Tensor> Read(string path)
    {
        if (!File.Exists(path)) throw new UserInputException($"weights file not found: {path}");
        bool pickle = Path.GetExtension(path).ToLowerInvariant() is ".bin" or ".pt" or ".pth";
        try
        {
            if (!pickle) return Safetensors.LoadStateDict(path);
            var table = PyTorchUnpickler.UnpickleStateDict(path);
            var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (System.Collections.DictionaryEntry entry in table)
            {
                if (entry.Key is string key && entry.Value is Tensor t) result[key] = t;
                else
                {
                    foreach (var v in result.Values) v.Dispose();
                    throw new UserInputException($"{path}: not a state dict — entry '{entry.Key}' holds {entry.Value?.GetType().Name ?? "null"}, not a tensor");
                }
            }
            return result;
        }
        catch (Exception ex) when (ex is not UserInputException)
        {
            throw new UserInputException($"{path}: not a readable {(pickle ? "PyTorch state dict (torch.save)" : ".safetensors")} file ({ex.Message})", ex);
        }
    }

    /// <summary>Saves a module's state dict (PyTorch-readable), atomically.</summary>
    public static void Save(nn.Module module, string path)
    {
        AtomicFile.Write(path, temp => module.save_safetensors(temp));
    }
}
