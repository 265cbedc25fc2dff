using System.Text;
using Bitmapist.Linq.Statements;

namespace Bitmapist.Cli.Rendering;

/// <summary>
/// Writes one statement's whole result into a file (the REPL's <c>ids SET &gt; out.txt</c>, <c>bitmapist ids --output</c>):
/// every id of an <see cref="IdsResult"/>, streamed, in one output format. The file appears only once complete: it is
/// written beside as <c>FILE.partial</c> and moved over, so a failure or Ctrl-C leaves the old file (or none), never half a list.
/// </summary>
internal static class ResultFile
{
    /// <summary>Writes <paramref name="result"/> to <paramref name="path"/>; returns how many ids it wrote, or null when it was not a list of ids.</summary>
    /// <exception cref="IOException">The file cannot be written (the message names it).</exception>
    public static async Task<long?> WriteAsync(StatementResult result, string path, OutputFormat format, CancellationToken ct)
    {
        var partial = path + ".partial";
        long? ids = null;
        try
        {
            await using (var file = new StreamWriter(partial, false, new UTF8Encoding(false), 1 << 16))
            {
                var written = result;
                if (result is IdsResult list)
                {
                    ids = 0;
                    written = list with { Ids = Counted(list.Ids) };
                }
                await OutputFormats.Renderer(format, file).RenderAsync(written, ct).ConfigureAwait(false);
            }
            File.Move(partial, path, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(partial);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The error that stopped the write is the one to report.
            }
            throw;
        }
        return ids;

        async IAsyncEnumerable<long> Counted(IAsyncEnumerable<long> source)
        {
            await foreach (var id in source.WithCancellation(ct).ConfigureAwait(false))
            {
                ids++;
                yield return id;
            }
        }
    }
}
