namespace HistoPrognosis.Cli.Commands;

/// <summary>
/// Turns the known input failures of a command's action into "error: message" on stderr and exit code 2.
/// System.CommandLine 2.0 catches exceptions thrown by actions itself (printing a stack trace, exit 1) before
/// <see cref="CliRunner"/> sees them, so the slide and tile actions apply the same rule here.
/// </summary>
internal static class CommandErrors
{
    public static int Guard(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception ex) when (ex is UserInputException or IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return 2;
        }
    }
}
