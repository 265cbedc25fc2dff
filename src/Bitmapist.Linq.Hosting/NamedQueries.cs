using System.Reflection;
using Bitmapist.Linq.Cohorts;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Statements;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;
using Bitmapist.Linq.Trends;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bitmapist.Linq.Hosting;

/// <summary>
/// The named queries of the <c>Bitmapist:Queries</c> section, parsed and planned when this service is created
/// (at start-up, by <see cref="BitmapistServiceCollectionExtensions.AddBitmapist"/>), and run from code with
/// their <c>@name</c> parameters.
/// </summary>
/// <remarks>
/// Parameters are given as an anonymous object (<c>new { cohort = store.Month("signup") }</c>) or a dictionary
/// (<c>IReadOnlyDictionary&lt;string, SetExpr&gt;</c> or <c>IEnumerable&lt;KeyValuePair&lt;string, object&gt;&gt;</c>);
/// a value is a <see cref="SetExpr"/>, a <see cref="UserSet"/>, a user id or a collection of ids. Names match
/// the text's without the <c>@</c>, ignoring case. Thread-safe.
/// </remarks>
public sealed class NamedQueries
{
    private readonly Dictionary<string, NamedQuery> _queries = new(StringComparer.OrdinalIgnoreCase);
    private readonly ILogger<NamedQueries>? _logger;
    private readonly StatementExecutor _executor;

    /// <summary>Parses and plans every query of <paramref name="options"/> against <paramref name="store"/>.</summary>
    /// <param name="store">The store the queries run on.</param>
    /// <param name="options">The section with the queries.</param>
    /// <param name="logger">Where <see cref="RunAsync"/> logs a warning for each event a query reads that has no key at all (optional).</param>
    /// <exception cref="BitmapistConfigurationException">A query does not parse or cannot be planned: the message names it (and every other bad query).</exception>
    public NamedQueries(BitmapStore store, IOptions<BitmapistOptions> options, ILogger<NamedQueries>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        Store = store;
        _executor = new StatementExecutor(store);
        _logger = logger;
        var settings = options.Value;
        var problems = new List<BitmapistConfigurationException>();
        foreach (var (name, text) in settings.Queries.OrderBy(q => q.Key, StringComparer.OrdinalIgnoreCase))
        {
            var setting = $"{settings.SectionPath}:Queries:{name}";
            try
            {
                var query = NamedQuery.Parse(name, setting, text ?? "");
                Check(query);
                _queries[name] = query;
            }
            catch (BitmapistConfigurationException e)
            {
                problems.Add(e); // keep going: every bad query is reported at once
            }
        }
        if (problems.Count > 0) throw BitmapistConfigurationException.Of(problems);
    }

    /// <summary>The store the queries run on.</summary>
    public BitmapStore Store { get; }

    /// <summary>The names of the queries, sorted.</summary>
    public IReadOnlyList<string> Names => [.. _queries.Keys.Order(StringComparer.OrdinalIgnoreCase)];

    /// <summary>The query named <paramref name="name"/> (ignoring case).</summary>
    /// <exception cref="KeyNotFoundException">No query has that name.</exception>
    public NamedQuery this[string name] => TryGet(name, out var query)
        ? query
        : throw new KeyNotFoundException(_queries.Count == 0
            ? $"There is no named query '{name}': the configuration defines none (section Queries)."
            : $"There is no named query '{name}'; the queries are {string.Join(", ", Names)}.");

    /// <summary>Looks a query up by name (ignoring case).</summary>
    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out NamedQuery query) =>
        _queries.TryGetValue(name, out query);

    /// <summary>The query's set with <paramref name="parameters"/> bound, to compose further with LINQ or read yourself.</summary>
    /// <exception cref="BitmapistQueryException">A parameter is missing or unknown, or the query is not one set (a percent query, a cohort, trend or funnel table).</exception>
    public UserSet Set(string name, object? parameters = null)
    {
        var query = this[name];
        RequireOneSet(query, nameof(Set));
        return Store.Set(Bind(query, query.Set, parameters));
    }

    /// <summary>The number of users in the query's set.</summary>
    /// <exception cref="BitmapistQueryException">A parameter is missing or unknown, or the query is not one set (a percent query, a cohort, trend or funnel table).</exception>
    public Task<long> CountAsync(string name, object? parameters = null, CancellationToken ct = default)
    {
        var query = this[name];
        RequireOneSet(query, nameof(CountAsync));
        return Store.Set(Bind(query, query.Set, parameters)).CountAsync(ct);
    }

    /// <summary>Whether <paramref name="userId"/> is in the query's set.</summary>
    /// <exception cref="BitmapistQueryException">A parameter is missing or unknown, or the query is not one set (a percent query, a cohort, trend or funnel table).</exception>
    public Task<bool> ContainsAsync(string name, long userId, object? parameters = null, CancellationToken ct = default)
    {
        var query = this[name];
        RequireOneSet(query, nameof(ContainsAsync));
        return Store.Set(Bind(query, query.Set, parameters)).ContainsAsync(userId, ct);
    }

    /// <summary>
    /// Whether the user with external id <paramref name="externalId"/> is in the query's set: looked up in the store's
    /// id map (<see cref="StoreOptions.IdMap"/>, the <c>IdMap</c> setting); one with no internal id is in no set.
    /// </summary>
    /// <exception cref="BitmapistQueryException">A parameter is missing or unknown, or the query is not one set.</exception>
    /// <exception cref="InvalidOperationException">The store has no id map.</exception>
    public Task<bool> ContainsAsync(string name, string externalId, object? parameters = null, CancellationToken ct = default)
    {
        var query = this[name];
        RequireOneSet(query, nameof(ContainsAsync));
        return Store.Set(Bind(query, query.Set, parameters)).ContainsAsync(externalId, ct);
    }

    /// <summary>
    /// The ids of the query's set, ascending: at most <paramref name="limit"/>, or for an <c>ids</c> statement its
    /// own <c>limit</c> and <c>after</c>; all of them otherwise.
    /// </summary>
    /// <exception cref="BitmapistQueryException">A parameter is missing or unknown, or the query is not one set (a percent query, a cohort, trend or funnel table).</exception>
    public Task<IReadOnlyList<long>> IdsAsync(string name, object? parameters = null, int? limit = null, CancellationToken ct = default)
    {
        var own = OwnPaging(this[name]);
        return IdsAsync(name, limit is { } n ? new Paging(Math.Max(0, n), own.After, own.Skip) : own, parameters, ct); // a negative limit reads nothing, as 0
    }

    /// <summary>
    /// One page of the ids of the query's set, ascending (<see cref="Paging"/>: limit, after, skip), whatever page
    /// an <c>ids</c> statement names itself: page on with <see cref="Paging.Next"/> and the last id read.
    /// </summary>
    /// <exception cref="BitmapistQueryException">A parameter is missing or unknown, or the query is not one set (a percent query, a cohort, trend or funnel table).</exception>
    public async Task<IReadOnlyList<long>> IdsAsync(string name, Paging paging, object? parameters = null, CancellationToken ct = default)
    {
        var query = this[name];
        RequireOneSet(query, nameof(IdsAsync));
        var ids = new List<long>();
        await foreach (var id in Store.Set(Bind(query, query.Set, parameters)).PageIdsAsync(paging, ct).ConfigureAwait(false)) ids.Add(id);
        return ids;
    }

    /// <summary>
    /// One page of the ids of the query's set (as <see cref="IdsAsync(string, Paging, object?, CancellationToken)"/>)
    /// mapped back to external ids by the store's id map: ascending by internal id (not alphabetical), one id map
    /// lookup for the page, never one per id. An id with no external id (marked by number) is kept, with a null
    /// <see cref="MappedId.ExternalId"/>. Page on with <see cref="Paging.Next"/> and the last <see cref="MappedId.Id"/>.
    /// </summary>
    /// <exception cref="BitmapistQueryException">A parameter is missing or unknown, the query is not one set, or the store has no id map.</exception>
    public async Task<IReadOnlyList<MappedId>> MappedIdsAsync(string name, Paging paging, object? parameters = null, CancellationToken ct = default)
    {
        var map = Store.DefaultIdMap ?? throw new BitmapistQueryException(
            $"MappedIdsAsync maps ids back to external ids with the store's id map, and this store has none.",
            "Set the IdMap setting of the Bitmapist section (e.g. \"IdMap\": \"users\"), or read internal ids with IdsAsync.");
        var ids = await IdsAsync(name, paging, parameters, ct).ConfigureAwait(false);
        return await MapAsync(map, ids, ct).ConfigureAwait(false);
    }

    /// <summary>The external id of each id of one page, in one id map call.</summary>
    private static async Task<IReadOnlyList<MappedId>> MapAsync(IdMapping.IdMap map, IReadOnlyList<long> ids, CancellationToken ct)
    {
        if (ids.Count == 0) return [];
        var external = await map.FindExternalAsync([.. ids.Select(i => (uint)i)], ct).ConfigureAwait(false);
        return [.. ids.Select((id, i) => new MappedId(id, external[i]))];
    }

    /// <summary>The page an <c>ids</c> statement names (its limit and after); every id for the other queries.</summary>
    private static Paging OwnPaging(NamedQuery query) => query.Statement is QueryStatement { Query.Read: ReadKind.Ids } q ? q.Paging : Paging.All;

    /// <summary>
    /// For a <c>percent part of whole</c> query: the share of the whole in the part, in percent; null when the
    /// whole is empty (a share of nobody is undefined, not 0%: the same rule as an empty cohort cell).
    /// </summary>
    /// <exception cref="BitmapistQueryException">A parameter is missing or unknown, or the query is not a percent query.</exception>
    public async Task<double?> PercentAsync(string name, object? parameters = null, CancellationToken ct = default) =>
        // The whole and the part in one batch (one round trip on Redis), with no event check: the value alone.
        ((PercentResult)await RunOwnAsync(name, NamedQueryKind.Percent, parameters, ct).ConfigureAwait(false)).Percent;

    /// <summary>For a <c>trend</c> query: the series, one row per period, counted in one batch (one round trip on Redis).</summary>
    /// <exception cref="BitmapistQueryException">A parameter is missing or unknown, or the query is not a trend.</exception>
    public async Task<TrendTable> TrendAsync(string name, object? parameters = null, CancellationToken ct = default) =>
        ((TrendResult)await RunOwnAsync(name, NamedQueryKind.Trend, parameters, ct).ConfigureAwait(false)).Table;

    /// <summary>For a <c>funnel</c> query: one funnel per period, every step of every row counted in one batch.</summary>
    /// <exception cref="BitmapistQueryException">A parameter is missing or unknown, or the query is not a funnel.</exception>
    public async Task<FunnelTable> FunnelAsync(string name, object? parameters = null, CancellationToken ct = default) =>
        ((FunnelResult)await RunOwnAsync(name, NamedQueryKind.Funnel, parameters, ct).ConfigureAwait(false)).Table;

    /// <summary>For a <c>cohort</c> query: the cohort (retention) table, every cell counted in one batch.</summary>
    /// <exception cref="BitmapistQueryException">A parameter is missing or unknown, or the query is not a cohort table.</exception>
    public async Task<CohortTable> CohortAsync(string name, object? parameters = null, CancellationToken ct = default) =>
        ((CohortResult)await RunOwnAsync(name, NamedQueryKind.Cohort, parameters, ct).ConfigureAwait(false)).Table;

    /// <summary>Runs the query, which must be of <paramref name="kind"/>, without checking its events: the value alone.</summary>
    private Task<StatementResult> RunOwnAsync(string name, NamedQueryKind kind, object? parameters, CancellationToken ct)
    {
        var query = this[name];
        if (query.Kind != kind)
            throw new BitmapistQueryException($"The query {query.Setting} is {Describe(query.Kind)}, not {Describe(kind)}.",
                $"Use {MethodsFor(query.Kind)} or RunAsync, or write it as {Syntax(kind)}.");
        return _executor.RunAsync(query.Statement, Values(query, parameters), ct);
    }

    /// <summary>
    /// Runs the query as its statement says: a count, ids (with its limit), a membership, a percentage, or a cohort,
    /// trend or funnel table; then checks its events (<see cref="CheckEventsAsync"/>): <see cref="NamedQueryResult.Warnings"/>
    /// holds one warning for each that has no key at all, also logged as a warning when a logger is registered.
    /// </summary>
    /// <exception cref="BitmapistQueryException">A parameter is missing or unknown.</exception>
    public async Task<NamedQueryResult> RunAsync(string name, object? parameters = null, CancellationToken ct = default)
    {
        var query = this[name];
        var ran = await _executor.ExecuteAsync(query.Statement, Values(query, parameters), ct).ConfigureAwait(false);
        NamedQueryResult result = ran switch
        {
            PercentResult p => new(query.Name, query.Kind, Percent: p.Percent),
            IdsResult i => await IdsResultAsync(query, i, ct).ConfigureAwait(false),
            ContainsResult c => new(query.Name, query.Kind, Contains: c.Contains),
            CountResult c => new(query.Name, query.Kind, Count: c.Count),
            CohortResult c => new(query.Name, query.Kind, Cohort: c.Table),
            TrendResult t => new(query.Name, query.Kind, Trend: t.Table),
            FunnelResult f => new(query.Name, query.Kind, Funnel: f.Table),
            _ => throw new InvalidOperationException($"The query {query.Setting} gave a {ran.GetType().Name}, which a named query cannot return."),
        };
        if (ran.Warnings.Count == 0) return result;
        foreach (var warning in ran.Warnings) LogMissingEvent(query.Setting, warning.Message);
        return result with { Warnings = ran.Warnings };
    }

    /// <summary>An ids query's result: its ids, and with an id map, their external ids (one lookup for the page).</summary>
    private static async Task<NamedQueryResult> IdsResultAsync(NamedQuery query, IdsResult result, CancellationToken ct)
    {
        var ids = new List<long>();
        await foreach (var id in result.Ids.WithCancellation(ct).ConfigureAwait(false)) ids.Add(id);
        return new(query.Name, query.Kind, Ids: ids)
        {
            MappedIds = result.IdMap is { } map ? await MapAsync(map, ids, ct).ConfigureAwait(false) : null,
        };
    }

    /// <summary>
    /// Warns about every event the query reads that has no key in any period of the store: most likely a misspelt
    /// name, which reads as the empty set and gives 0 (see <see cref="BitmapStore.CheckEventsAsync(SetExpr, IReadOnlyDictionary{string, SetExpr}?, CancellationToken)"/>).
    /// An event with data in other periods only is not warned about.
    /// </summary>
    /// <returns>One warning per missing event, with the nearest stored names; empty when every event exists.</returns>
    /// <exception cref="BitmapistQueryException">A parameter is missing or unknown.</exception>
    public Task<IReadOnlyList<EventWarning>> CheckEventsAsync(string name, object? parameters = null, CancellationToken ct = default)
    {
        var query = this[name];
        return _executor.CheckEventsAsync(query.Statement, Values(query, parameters), ct);
    }

    private void LogMissingEvent(string setting, string warning)
    {
        if (_logger is not null) MissingEvent(_logger, setting, warning, null);
    }

    private static readonly Action<ILogger, string, string, Exception?> MissingEvent = LoggerMessage.Define<string, string>(
        LogLevel.Warning, new EventId(1, "MissingEvent"), "The query {Setting} reads an event that has no data: {Warning}");

    /// <summary>
    /// The explain document of the query with <paramref name="parameters"/> bound (for a percent query, the one batch
    /// counting its whole and its part; for a cohort, trend or funnel, the table's rows and its one batch).
    /// </summary>
    /// <exception cref="BitmapistQueryException">A parameter is missing or unknown.</exception>
    public string Explain(string name, object? parameters = null)
    {
        var query = this[name];
        return _executor.Explain(query.Statement, Values(query, parameters));
    }

    // ------------------------------------------------------------------ parameters

    /// <summary>The query's set with parameters replaced by their values.</summary>
    private static SetExpr Bind(NamedQuery query, SetExpr set, object? parameters) => set.WithParameters(Values(query, parameters));


    /// <summary>The parameter values, checked against the query's parameters: every one given, no other.</summary>
    private static IReadOnlyDictionary<string, SetExpr> Values(NamedQuery query, object? parameters)
    {
        var values = QueryParameters.From(parameters);
        foreach (var name in query.Parameters)
            if (!values.ContainsKey(name))
                throw new BitmapistQueryException($"The query {query.Setting} needs the parameter @{name}, which has no value.",
                    $"Pass it when running the query, e.g. new {{ {name} = store.Month(\"signup\") }}.");
        foreach (var name in values.Keys)
            if (!query.Parameters.Contains(name, StringComparer.OrdinalIgnoreCase))
                throw new BitmapistQueryException($"The query {query.Setting} has no parameter @{name}.",
                    query.Parameters.IsEmpty ? "It takes no parameters." : $"Its parameters are {string.Join(", ", query.Parameters.Select(n => "@" + n))}.");
        return values;
    }

    /// <summary>Refuses a query that is not one set of users: the methods that read a set cannot run it.</summary>
    private static void RequireOneSet(NamedQuery query, string method)
    {
        var why = query.Kind switch
        {
            NamedQueryKind.Percent => "a percentage compares two sets, it is not one set of users",
            NamedQueryKind.Cohort => "a cohort table is one count per cell, not one set of users",
            NamedQueryKind.Trend => "a trend is one count per period, not one set of users",
            NamedQueryKind.Funnel => "a funnel is one count per step and period, not one set of users",
            _ => null,
        };
        if (why is null) return;
        throw new BitmapistQueryException($"The query {query.Setting} is {Describe(query.Kind)}, which {method} cannot run: {why}.",
            query.IsTable
                ? $"Use {MethodsFor(query.Kind)} or RunAsync; for one period's users, name a count query of the set, like count day(active)."
                : $"Use {MethodsFor(query.Kind)} or RunAsync.");
    }

    private static string Describe(NamedQueryKind kind) => kind switch
    {
        NamedQueryKind.Count => "a count query",
        NamedQueryKind.Ids => "an ids query",
        NamedQueryKind.Contains => "a membership (in) query",
        NamedQueryKind.Percent => "a percent query",
        NamedQueryKind.Cohort => "a cohort table",
        NamedQueryKind.Trend => "a trend",
        _ => "a funnel",
    };

    private static string MethodsFor(NamedQueryKind kind) => kind switch
    {
        NamedQueryKind.Percent => nameof(PercentAsync),
        NamedQueryKind.Cohort => nameof(CohortAsync),
        NamedQueryKind.Trend => nameof(TrendAsync),
        NamedQueryKind.Funnel => nameof(FunnelAsync),
        _ => "CountAsync, IdsAsync, ContainsAsync",
    };

    private static string Syntax(NamedQueryKind kind) => kind switch
    {
        NamedQueryKind.Percent => "percent ... of ...",
        NamedQueryKind.Cohort => "cohort SET then SET by UNIT",
        NamedQueryKind.Trend => "trend SET by UNIT",
        _ => "funnel SET then SET by UNIT",
    };

    // ------------------------------------------------------------------ start-up check

    /// <summary>Plans the query with an opaque placeholder key for each parameter, so planning errors surface at start-up.</summary>
    private void Check(NamedQuery query)
    {
        var placeholders = query.Parameters.ToDictionary(n => n, n => SetExpr.Key($"{Store.Keys.Prefix}@{n}"), StringComparer.OrdinalIgnoreCase);
        try
        {
            _executor.Explain(query.Statement, placeholders); // plans what running it sends, as at every run
        }
        catch (BitmapistQueryException e) when (e is not QuerySyntaxException)
        {
            throw new BitmapistConfigurationException(query.Setting, $"The query {query.Setting} cannot be planned: {e.Message}", e);
        }
    }
}

/// <summary>Turns the parameters given from code into set expressions.</summary>
internal static class QueryParameters
{
    public static IReadOnlyDictionary<string, SetExpr> From(object? parameters)
    {
        var result = new Dictionary<string, SetExpr>(StringComparer.OrdinalIgnoreCase);
        switch (parameters)
        {
            case null:
                break;
            case IEnumerable<KeyValuePair<string, SetExpr>> sets:
                foreach (var (name, value) in sets) Add(result, name, value);
                break;
            case IEnumerable<KeyValuePair<string, object?>> objects:
                foreach (var (name, value) in objects) Add(result, name, value);
                break;
            case IEnumerable<KeyValuePair<string, UserSet>> userSets:
                foreach (var (name, value) in userSets) Add(result, name, value);
                break;
            default:
                foreach (var property in parameters.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
                    if (property.GetIndexParameters().Length == 0) Add(result, property.Name, property.GetValue(parameters));
                break;
        }
        return result;
    }

    private static void Add(Dictionary<string, SetExpr> result, string name, object? value)
    {
        name = name.StartsWith('@') ? name[1..] : name;
        if (!result.TryAdd(name, ToSet(name, value)))
            throw new ArgumentException($"The parameter @{name} is given twice.", "parameters");
    }

    private static SetExpr ToSet(string name, object? value) => value switch
    {
        SetExpr set => set,
        UserSet users => users.ToSetExpr(),
        long id => SetExpr.Id(id),
        int id => SetExpr.Id(id),
        uint id => SetExpr.Id(id),
        IEnumerable<long> ids => SetExpr.Ids(ids),
        IEnumerable<int> ids => SetExpr.Ids(ids.Select(i => (long)i)),
        IEnumerable<uint> ids => SetExpr.Ids(ids.Select(i => (long)i)),
        null => throw new ArgumentException($"The parameter @{name} is null: pass a set.", "parameters"),
        _ => throw new ArgumentException(
            $"The parameter @{name} is a {value.GetType().Name}: pass a SetExpr, a UserSet, a user id or a collection of ids.", "parameters"),
    };
}
