namespace Bitmapist.Linq.Stores;

/// <summary>
/// A query reads an event that has no key in any period of the store, so the event reads as the empty set: most
/// likely a misspelt name (<c>actve</c> for <c>active</c>), which would otherwise silently give 0. Returned by
/// <see cref="BitmapStore.CheckEventsAsync(Query.SetExpr, IReadOnlyDictionary{string, Query.SetExpr}?, CancellationToken)"/>.
/// An event that exists but has no data in the periods read is not warned about: that 0 is a real answer.
/// </summary>
/// <param name="EventName">The event the query names.</param>
/// <param name="Suggestions">The store's event names closest to it (at most three, nearest first; empty when none is close).</param>
public sealed record EventWarning(string EventName, IReadOnlyList<string> Suggestions)
{
    /// <summary>The warning in one sentence, with "did you mean" when there are suggestions.</summary>
    public string Message
    {
        get
        {
            var what = $"The event '{EventName}' has no data in any period of this store, so it reads as an empty set";
            return Suggestions.Count switch
            {
                0 => what + "; no stored event has a similar name: list the store's events to check the spelling.",
                1 => what + $": did you mean '{Suggestions[0]}'?",
                _ => what + $": did you mean {string.Join(", ", Suggestions.Take(Suggestions.Count - 1).Select(s => $"'{s}'"))} or '{Suggestions[^1]}'?",
            };
        }
    }

    /// <inheritdoc />
    public override string ToString() => Message;
}
