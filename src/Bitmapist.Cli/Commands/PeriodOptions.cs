using System.CommandLine;
using Bitmapist.Linq;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Cli.Commands;

/// <summary>
/// <c>--period</c> and <c>--at</c>, shared by the commands that read one event in one period
/// (count, ids, in, explain). Default: the month containing now.
/// </summary>
internal sealed class PeriodOptions
{
    public Option<string> Period { get; } = new Option<string>("--period", "-p")
    {
        Description = "Period unit: the year, month, ISO week, day or hour containing --at, or the dateless unique flag.",
        HelpName = "unit",
        DefaultValueFactory = _ => "month",
    }.AcceptOnlyFromAmong(Parsing.PeriodNames);

    public Option<string?> At { get; } = new("--at")
    {
        Description = "A date or timestamp inside the period (2026-11-28, 2026-11-28T14:30:00, 2026-11, 2026-W48, 2026). Default: now.",
        HelpName = "when",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Period);
        command.Options.Add(At);
    }

    /// <summary>The period the options name, relative to <paramref name="store"/>'s clock when --at is absent.</summary>
    public Period Resolve(ParseResult parse, BitmapStore store)
    {
        var unit = Parsing.Unit(parse.GetValue(Period) ?? "month");
        var atText = parse.GetValue(At);
        if (unit == PeriodUnit.Unique)
        {
            if (atText is not null) throw new CliException("--at has no meaning with --period unique: a unique flag has no date.");
            return Linq.Model.Period.Unique;
        }
        var at = atText is null ? store.Now : Parsing.Instant(atText, "--at");
        return Linq.Model.Period.Of(unit, at);
    }

    /// <summary>Validates the options before any store is opened, so a typo fails fast (and without building sample data).</summary>
    public void Validate(ParseResult parse)
    {
        var unit = Parsing.Unit(parse.GetValue(Period) ?? "month");
        var atText = parse.GetValue(At);
        if (atText is null) return;
        if (unit == PeriodUnit.Unique) throw new CliException("--at has no meaning with --period unique: a unique flag has no date.");
        Parsing.Instant(atText, "--at");
    }

    /// <summary>The set of <paramref name="eventName"/> in the period the options name.</summary>
    public (UserSet Set, Period Period) Set(ParseResult parse, BitmapStore store, string eventName)
    {
        var period = Resolve(parse, store);
        return (store.At(eventName, period), period);
    }
}
