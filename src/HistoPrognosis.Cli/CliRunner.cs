using System.CommandLine;
using HistoPrognosis;

namespace HistoPrognosis.Cli;

/// <summary>Runs the command tree and turns failures into a clear message and a non-zero exit code.</summary>
public static class CliRunner
{
    public static async Task<int> InvokeAsync(RootCommand root, string[] args)
    {
        try
        {
            return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
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
