namespace HistoPrognosis;

/// <summary>Bad input from the user (file, row, field or option); the message says which and what is wrong.</summary>
public sealed class UserInputException(string message, Exception? inner = null) : Exception(message, inner);
