using System.Runtime.CompilerServices;

// The tests compare the internal TIAToolbox Vahadane port with the reference outputs.
[assembly: InternalsVisibleTo("HistoPrognosis.Tests")]
