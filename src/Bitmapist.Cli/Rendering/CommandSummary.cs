using System.Text.Json;
using Bitmapist.Linq.Statements;

namespace Bitmapist.Cli.Rendering;

/// <summary>
/// What a writing command (mark, import, sample) did, in the forms the renderers print: a sentence for people, a
/// JSON object (its shape is a contract for scripts) and a CSV table. Not a statement of the language, but printed
/// through the same renderers, so a new output format is still one renderer file.
/// </summary>
/// <param name="Sentence">The table format's line.</param>
/// <param name="Json">Writes the JSON object's properties.</param>
/// <param name="Columns">The CSV header row.</param>
/// <param name="Rows">The CSV rows.</param>
internal sealed record CommandSummary(string Sentence, Action<Utf8JsonWriter> Json, IReadOnlyList<string> Columns, IEnumerable<IReadOnlyList<string>> Rows) : StatementResult;
