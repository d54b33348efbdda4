using System.CommandLine;
using System.CommandLine.Parsing;
using HistoPrognosis;

namespace HistoPrognosis.Cli;

/// <summary>Runs the command tree and turns failures into a clear message and a non-zero exit code.</summary>
public static class CliRunner
{
    public static async Task<int> InvokeAsync(RootCommand root, string[] args)
    {
        try
        {
            var parse = root.Parse(args);
            // A misspelt option or a value of the wrong type is bad input like any other: exit 2, not the parser's 1.
            if (parse.Errors.Count > 0)
            {
                foreach (var error in parse.Errors) Console.Error.WriteLine($"error: {error.Message}");
                var path = new List<string> { "histoprog" };
                for (var r = parse.CommandResult; r.Parent is CommandResult parent; r = parent) path.Insert(1, r.Command.Name);
                Console.Error.WriteLine($"(see: {string.Join(' ', path)} --help)");
                return 2;
            }
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception ex) when (ex is UserInputException or IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return 2;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A defect, not bad input: say so in one line; the stack trace only when asked for (HISTOPROG_DEBUG=1).
            Console.Error.WriteLine($"error: internal error ({ex.GetType().Name}): {ex.Message}; please report it with the command line" +
                                    (Environment.GetEnvironmentVariable("HISTOPROG_DEBUG") == "1" ? $"\n{ex}" : " (HISTOPROG_DEBUG=1 prints the stack trace)"));
            return 3;
        }
    }
}
