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

    // rename: the module's name for a file key, or null for a key that is deliberately not loaded.
    private static void Load(nn.Module module, string path, Func<string, string?> rename)
    {
        if (!File.Exists(path)) throw new UserInputException($"weights file not found: {path}");
        Dictionary<string, Tensor> source;
        try
        {
            var file = Safetensors.LoadStateDict(path);
            source = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var (key, value) in file)
            {
                if (rename(key) is { } name) source[name] = value;
                else value.Dispose();
            }
        }
        catch (Exception ex) when (ex is not UserInputException)
        {
            throw new UserInputException($"{path}: not a readable .safetensors file ({ex.Message})", ex);
        }
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

    /// <summary>Saves a module's state dict (PyTorch-readable), atomically.</summary>
    public static void Save(nn.Module module, string path)
    {
        AtomicFile.Write(path, temp => module.save_safetensors(temp));
    }
}
