using System.Runtime.CompilerServices;
using Bitmapist.Linq.Bitmaps;
using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Planning;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Tracking;

namespace Bitmapist.Linq.Stores;

/// <summary>
/// The facade every front end uses: marking, set factories, planning, explain, cohorts and events, over one
/// <see cref="IBitmapBackend"/> that holds the bitmaps and runs the programs. The library's back ends are Redis
/// (<see cref="RedisStore"/>, also for bitmapist-server) and in process (<see cref="EmbeddedStore"/>); any other
/// is passed to the public constructor.
/// </summary>
public partial class BitmapStore : IAsyncDisposable, IDisposable
{
    /// <summary>
    /// A store over <paramref name="backend"/>, which it owns (disposing the store disposes it). With the sharded
    /// layout (<see cref="StoreOptions.Layout"/>) the store runs every program per shard over it (scatter-gather).
    /// </summary>
    /// <exception cref="ArgumentException"><see cref="StoreOptions.Profile"/> is set and is not the back end's own
    /// profile: a back end declares what it can run, so the profile is chosen when it is made.</exception>
    public BitmapStore(IBitmapBackend backend, StoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (options?.Profile is { } wanted && wanted != backend.Profile)
            throw new ArgumentException(
                $"StoreOptions.Profile is '{wanted}' but the back end {backend.GetType().Name} runs '{backend.Profile}'. Give the profile " +
                "to the back end when it is made (the library's stores take StoreOptions.Profile and do so), or leave StoreOptions.Profile unset.",
                nameof(options));
        Options = options ?? new StoreOptions();
        if (Options.Universe is { } universe && StoreOptions.UniverseProblem(universe) is { } problem)
            throw new ArgumentException(
                $"StoreOptions.Universe {universe.Text} uses {problem}: the universe is the set 'users' and '~x' stand for, so it must be made of " +
                "events, flags and ids, e.g. SetExpr.Unique(\"user\") (a flag the application marks for every user) or year(active, -2..0).", nameof(options));
        // The sharded layout is scatter-gather over the back end: every store kind gets it the same way.
        Backend = Options.Layout.ShardBits is { } shardBits && backend is not Backends.Sharded.ShardedBackend
            ? new Backends.Sharded.ShardedBackend(backend, Options.Keys, shardBits)
            : backend;
        if (Options.IdMap is { } idMap) IdMapping.IdMap.ValidateName(idMap);
        Planner = new Planner(Options, () => Backend.Profile);
    }

    /// <summary>Where the bitmaps live and how programs run.</summary>
    public IBitmapBackend Backend { get; }

    /// <summary>The store's settings.</summary>
    public StoreOptions Options { get; }

    /// <summary>The key layout.</summary>
    public KeyScheme Keys => Options.Keys;

    /// <summary>The clock that defines "now".</summary>
    public TimeProvider Clock => Options.Clock;

    /// <summary>What the back end can do, which decides the commands a plan becomes.</summary>
    public CapabilityProfile Profile => Backend.Profile;

    /// <summary>"Now" as the UTC wall clock, the default timestamp of marks and the anchor of relative periods.</summary>
    public DateTime Now => Clock.GetUtcNow().UtcDateTime;

    // ---------------------------------------------------------------- tracking

    /// <summary>Marks that <paramref name="userId"/> did <paramref name="eventName"/> at <paramref name="at"/> (default now, UTC).</summary>
    /// <remarks>The date fields of <paramref name="at"/> are used as they are, with no time-zone conversion, as bitmapist does.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The id is outside [0, 2^32).</exception>
    public Task MarkAsync(string eventName, long userId, DateTime? at = null, CancellationToken ct = default) =>
        CreateBatch().Mark(eventName, userId, at).ExecuteAsync(ct);

    /// <summary>Clears the bits a mark at <paramref name="at"/> set (keys are never deleted or shrunk).</summary>
    public Task UnmarkAsync(string eventName, long userId, DateTime? at = null, CancellationToken ct = default) =>
        CreateBatch().Unmark(eventName, userId, at).ExecuteAsync(ct);

    /// <summary>Sets the dateless unique flag <paramref name="eventName"/> for <paramref name="userId"/>.</summary>
    public Task MarkUniqueAsync(string eventName, long userId, CancellationToken ct = default) =>
        CreateBatch().MarkUnique(eventName, userId).ExecuteAsync(ct);

    /// <summary>Clears the unique flag <paramref name="eventName"/> for <paramref name="userId"/>.</summary>
    public Task UnmarkUniqueAsync(string eventName, long userId, CancellationToken ct = default) =>
        CreateBatch().UnmarkUnique(eventName, userId).ExecuteAsync(ct);

    /// <summary>
    /// Marks that the user with external id <paramref name="externalId"/> (a name, an e-mail, a UUID) did
    /// <paramref name="eventName"/>: the store's id map (<see cref="StoreOptions.IdMap"/>) gives it an internal id
    /// (created on first use), then the bits are written. Two round trips on Redis: the map's, then the mark's.
    /// </summary>
    /// <exception cref="InvalidOperationException">The store has no id map.</exception>
    /// <exception cref="ArgumentException">The external id cannot be mapped (empty, over 1,024 bytes, not valid Unicode).</exception>
    public Task MarkAsync(string eventName, string externalId, DateTime? at = null, CancellationToken ct = default) =>
        CreateBatch().Mark(eventName, externalId, at).ExecuteAsync(ct);

    /// <summary>Clears the bits a mark of <paramref name="externalId"/> at <paramref name="at"/> set; nothing when it has no internal id.</summary>
    public Task UnmarkAsync(string eventName, string externalId, DateTime? at = null, CancellationToken ct = default) =>
        CreateBatch().Unmark(eventName, externalId, at).ExecuteAsync(ct);

    /// <summary>Sets the unique flag <paramref name="eventName"/> for the user with external id <paramref name="externalId"/>.</summary>
    public Task MarkUniqueAsync(string eventName, string externalId, CancellationToken ct = default) =>
        CreateBatch().MarkUnique(eventName, externalId).ExecuteAsync(ct);

    /// <summary>Synchronous <see cref="MarkAsync(string, long, DateTime?, CancellationToken)"/>.</summary>
    public void Mark(string eventName, long userId, DateTime? at = null) => MarkAsync(eventName, userId, at).GetAwaiter().GetResult();

    /// <summary>A batch of marks sent in one round trip (one MULTI/EXEC on Redis).</summary>
    public MarkBatch CreateBatch() => new(this);

    /// <summary>
    /// A bulk importer for large volumes: builds each key's bitmap in the client and merges it on the server
    /// (SET a temporary, BITOP OR it into the key, DEL the temporary, in one MULTI/EXEC), instead of one SETBIT per event.
    /// </summary>
    public BulkImport CreateBulkImport(IProgress<long>? progress = null) => new(this, progress);

    // ---------------------------------------------------------------- sets

    /// <summary>The users of any set expression, on this store.</summary>
    public UserSet Set(SetExpr expr) => new(this, expr);

    /// <summary><paramref name="eventName"/> in a fixed period.</summary>
    public UserSet At(string eventName, Period period) => Set(SetExpr.Event(eventName, period));

    /// <summary><paramref name="eventName"/> this year (the OR of its 12 month keys), relative to now at every execution.</summary>
    public UserSet Year(string eventName) => Set(SetExpr.Event(eventName, PeriodRef.Relative(PeriodUnit.Year)));

    /// <summary><paramref name="eventName"/> in <paramref name="year"/>.</summary>
    public UserSet Year(string eventName, int year) => At(eventName, Period.Year(year));

    /// <summary><paramref name="eventName"/> this month, relative to now at every execution.</summary>
    public UserSet Month(string eventName) => Set(SetExpr.Event(eventName, PeriodRef.Relative(PeriodUnit.Month)));

    /// <summary><paramref name="eventName"/> in a given month.</summary>
    public UserSet Month(string eventName, int year, int month) => At(eventName, Period.Month(year, month));

    /// <summary><paramref name="eventName"/> this ISO week, relative to now at every execution.</summary>
    public UserSet Week(string eventName) => Set(SetExpr.Event(eventName, PeriodRef.Relative(PeriodUnit.Week)));

    /// <summary><paramref name="eventName"/> in ISO week <paramref name="week"/> of ISO year <paramref name="isoYear"/>.</summary>
    public UserSet Week(string eventName, int isoYear, int week) => At(eventName, Period.Week(isoYear, week));

    /// <summary><paramref name="eventName"/> today, relative to now at every execution.</summary>
    public UserSet Day(string eventName) => Set(SetExpr.Event(eventName, PeriodRef.Relative(PeriodUnit.Day)));

    /// <summary><paramref name="eventName"/> on a given day.</summary>
    public UserSet Day(string eventName, int year, int month, int day) => At(eventName, Period.Day(year, month, day));

    /// <summary><paramref name="eventName"/> this hour (needs hourly tracking), relative to now at every execution.</summary>
    public UserSet Hour(string eventName) => Set(SetExpr.Event(eventName, PeriodRef.Relative(PeriodUnit.Hour)));

    /// <summary><paramref name="eventName"/> in a given hour (needs hourly tracking).</summary>
    public UserSet Hour(string eventName, int year, int month, int day, int hour) => At(eventName, Period.Hour(year, month, day, hour));

    /// <summary>The dateless unique flag <paramref name="eventName"/>.</summary>
    public UserSet Unique(string eventName) => Set(SetExpr.Unique(eventName));

    /// <summary>Users with <paramref name="eventName"/> in any (or every) period from <paramref name="from"/> to <paramref name="to"/> (same unit).</summary>
    public UserSet Range(string eventName, PeriodRef from, PeriodRef to, RangeMode mode = RangeMode.Any) =>
        Set(SetExpr.Range(eventName, from, to, mode));

    /// <summary>Users with <paramref name="eventName"/> at any time from day <paramref name="first"/> to day <paramref name="last"/> (inclusive), read with the fewest keys.</summary>
    public UserSet During(string eventName, DateTime first, DateTime last) =>
        Range(eventName, PeriodRef.Of(Period.Of(PeriodUnit.Day, first)), PeriodRef.Of(Period.Of(PeriodUnit.Day, last)));

    /// <summary>This store's entry points, for code that reads <c>store.Events.Month("active")</c> like the static <see cref="Bitmapist.Linq.Events"/>.</summary>
    public BitmapStore Events => this;

    /// <summary>The cache of translated LINQ query shapes, with its hit and miss counters.</summary>
    public Linq.TranslationCache TranslationCache => QueryProvider.Cache;

    /// <summary>The LINQ provider of this store's sets.</summary>
    internal Linq.BitmapQueryProvider QueryProvider => _provider ??= new Linq.BitmapQueryProvider(this);

    private Linq.BitmapQueryProvider? _provider;

    /// <summary>A literal set of ids.</summary>
    public UserSet Ids(params IEnumerable<long> ids) => Set(SetExpr.Ids(ids));

    /// <summary>
    /// A literal set of external ids, looked up in the store's id map (<see cref="StoreOptions.IdMap"/>) when the query
    /// runs: an external id with no internal id is in no set, so it adds nothing.
    /// </summary>
    public UserSet Ids(params IEnumerable<string> externalIds) => Set(SetExpr.ExternalIds(externalIds));

    /// <summary>
    /// <see cref="Ids(IEnumerable{string})"/> for a list written out: the form a LINQ predicate can hold
    /// (<c>Where(u =&gt; store.Ids("alice", "bob").Contains(u))</c>), since C# refuses an expanded
    /// <c>params IEnumerable</c> inside an expression tree (CS9226).
    /// </summary>
    public UserSet Ids(params string[] externalIds) => Ids((IEnumerable<string>)externalIds);

    // ---------------------------------------------------------------- id maps

    /// <summary>
    /// The id map named <paramref name="name"/> of this store (<see cref="IdMapping.IdMap"/>): external ids to internal ids
    /// and back. Any number of maps may live in one store; <see cref="StoreOptions.IdMap"/> names the one marking and
    /// the text language use.
    /// </summary>
    /// <exception cref="ArgumentException">The name cannot name a map.</exception>
    public IdMapping.IdMap IdMap(string name) => _idMaps.GetOrAdd(name, n => new IdMapping.IdMap(this, n));

    /// <summary>The store's id map (<see cref="StoreOptions.IdMap"/>), or null when it has none.</summary>
    public IdMapping.IdMap? DefaultIdMap => Options.IdMap is { } name ? IdMap(name) : null;

    /// <summary>The store's id map, or an error that says how to configure one.</summary>
    internal IdMapping.IdMap RequireIdMap(string what) => DefaultIdMap ?? throw new InvalidOperationException(
        $"{what} needs an id map to turn external ids into the internal ids bitmaps hold, and this store has none. " +
        "Set StoreOptions.IdMap (e.g. new StoreOptions { IdMap = \"users\" }; in appsettings \"IdMap\": \"users\"; on the command line --id-map users).");

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, IdMapping.IdMap> _idMaps = new(StringComparer.Ordinal);

    /// <summary>The configured universe (every user); querying it without one configured is an error.</summary>
    public UserSet Users => Set(SetExpr.Universe);

    // ---------------------------------------------------------------- planning

    /// <summary>Plans <paramref name="query"/> for this store now, with optional set parameters.</summary>
    /// <remarks>External ids in literal sets are looked up in the store's id map first (a round trip on Redis, only then).</remarks>
    public QueryPlan Plan(SetQuery query, IReadOnlyDictionary<string, SetExpr>? parameters = null) =>
        Planner.Plan(query, parameters, LookUpExternalIds([query.Set], parameters));

    /// <summary>Plans every statement this store runs, and owns the plan caches and the plan log.</summary>
    internal Planner Planner { get; }

    /// <summary>The explain document of <paramref name="query"/> on this store.</summary>
    public string Explain(SetQuery query, IReadOnlyDictionary<string, SetExpr>? parameters = null) =>
        ExplainPrinter.Print(Plan(query, parameters), Backend.Describe);

    /// <summary>Plans the cohort table <paramref name="query"/> for this store now: every cell's set, and one program counting them all.</summary>
    /// <exception cref="BitmapistQueryException">A setting is out of range, or a set cannot be planned.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled (checked as each row and set is planned).</exception>
    public Cohorts.CohortPlan Plan(Cohorts.CohortQuery query, IReadOnlyDictionary<string, SetExpr>? parameters = null, CancellationToken ct = default) =>
        Planner.Plan(query, parameters, ct, LookUpExternalIds(RootsOf(query), parameters));

    /// <summary>The plan caches' contents (plans, estimated bytes), for tests of their bounds.</summary>
    internal (int QueryPlans, long QueryBytes, int CohortPlans, long CohortBytes) PlanCacheUse => Planner.CacheUse;

    /// <summary>The explain document of a cohort table: its rows, its program and its one batch.</summary>
    public string Explain(Cohorts.CohortQuery query, IReadOnlyDictionary<string, SetExpr>? parameters = null) =>
        ExplainPrinter.Print(Plan(query, parameters), Backend.Describe);

    /// <summary>Computes the cohort table <paramref name="query"/>: every cell in one batch (one round trip on Redis).</summary>
    public async Task<Cohorts.CohortTable> CohortAsync(Cohorts.CohortQuery query, IReadOnlyDictionary<string, SetExpr>? parameters = null, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        var plan = Planner.Plan(query, parameters, ct, await LookUpExternalIdsAsync(RootsOf(query), parameters, ct).ConfigureAwait(false));
        var counts = await CountAsync(plan.Program, ct).ConfigureAwait(false);
        return Cohorts.CohortTable.From(plan, counts);
    }

    /// <summary>
    /// A cohort table builder whose templates are lambdas from a period to a set:
    /// <c>store.Cohort(p =&gt; store.At("signup", p), p =&gt; store.At("active", p)).ByWeek().RunAsync()</c>.
    /// </summary>
    public Cohorts.CohortBuilder Cohort(
        System.Linq.Expressions.Expression<Func<Period, UserSet>> cohort,
        System.Linq.Expressions.Expression<Func<Period, UserSet>> then) =>
        new(this, Cohorts.CohortTemplateTranslator.Translate(this, cohort), Cohorts.CohortTemplateTranslator.Translate(this, then));

    /// <summary>Plans the trend <paramref name="query"/> for this store now: every row's set, and one program counting them all.</summary>
    /// <exception cref="BitmapistQueryException">A setting is out of range, or a set cannot be planned.</exception>
    public Trends.TrendPlan Plan(Trends.TrendQuery query, IReadOnlyDictionary<string, SetExpr>? parameters = null, CancellationToken ct = default) =>
        Planner.Plan(query, parameters, ct, LookUpExternalIds(RootsOf(query), parameters));

    /// <summary>The explain document of a trend: its rows, its program and its one batch.</summary>
    public string Explain(Trends.TrendQuery query, IReadOnlyDictionary<string, SetExpr>? parameters = null) =>
        ExplainPrinter.Print(Plan(query, parameters), Backend.Describe);

    /// <summary>Computes the trend <paramref name="query"/>: every row in one batch (one round trip on Redis).</summary>
    /// <exception cref="BitmapistQueryException">A setting is out of range, or a set cannot be planned.</exception>
    /// <exception cref="BitmapistStoreException">The store failed.</exception>
    public async Task<Trends.TrendTable> TrendAsync(Trends.TrendQuery query, IReadOnlyDictionary<string, SetExpr>? parameters = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ct.ThrowIfCancellationRequested();
        var plan = Planner.Plan(query, parameters, ct, await LookUpExternalIdsAsync(RootsOf(query), parameters, ct).ConfigureAwait(false));
        return Trends.TrendTable.From(plan, await CountAsync(plan.Program, ct).ConfigureAwait(false));
    }

    /// <summary>Plans the funnel <paramref name="query"/> for this store now: every step of every row, and one program counting them all.</summary>
    /// <exception cref="BitmapistQueryException">A setting is out of range, or a set cannot be planned.</exception>
    public Trends.FunnelPlan Plan(Trends.FunnelQuery query, IReadOnlyDictionary<string, SetExpr>? parameters = null, CancellationToken ct = default) =>
        Planner.Plan(query, parameters, ct, LookUpExternalIds(RootsOf(query), parameters));

    /// <summary>The explain document of a funnel: its rows, its program and its one batch.</summary>
    public string Explain(Trends.FunnelQuery query, IReadOnlyDictionary<string, SetExpr>? parameters = null) =>
        ExplainPrinter.Print(Plan(query, parameters), Backend.Describe);

    /// <summary>Computes the funnel <paramref name="query"/>: every step of every row in one batch (one round trip on Redis).</summary>
    /// <exception cref="BitmapistQueryException">A setting is out of range, or a set cannot be planned.</exception>
    /// <exception cref="BitmapistStoreException">The store failed.</exception>
    public async Task<Trends.FunnelTable> FunnelAsync(Trends.FunnelQuery query, IReadOnlyDictionary<string, SetExpr>? parameters = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ct.ThrowIfCancellationRequested();
        var plan = Planner.Plan(query, parameters, ct, await LookUpExternalIdsAsync(RootsOf(query), parameters, ct).ConfigureAwait(false));
        return Trends.FunnelTable.From(plan, await CountAsync(plan.Program, ct).ConfigureAwait(false));
    }

    /// <summary>
    /// A trend builder whose template is a lambda from a period to a set:
    /// <c>store.Trend(p =&gt; store.At("active", p)).ByDay().Rows(30).Window(7).RunAsync()</c>.
    /// </summary>
    /// <exception cref="UnsupportedQueryException">The lambda is not a template (see <see cref="Cohort"/>).</exception>
    public Trends.TrendBuilder Trend(System.Linq.Expressions.Expression<Func<Period, UserSet>> template) =>
        new(this, new Trends.TrendQuery(Cohorts.CohortTemplateTranslator.Translate(this, template), PeriodUnit.Day));

    /// <summary>
    /// A funnel builder whose steps are lambdas from a period to a set:
    /// <c>store.Funnel(p =&gt; store.At("signup", p), p =&gt; store.At("paid", p)).ByDay().Within(7).RunAsync()</c>.
    /// </summary>
    /// <exception cref="UnsupportedQueryException">A lambda is not a template (see <see cref="Cohort"/>).</exception>
    public Trends.FunnelBuilder Funnel(params System.Linq.Expressions.Expression<Func<Period, UserSet>>[] steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        return new(this, new Trends.FunnelQuery([.. steps.Select(s => Cohorts.CohortTemplateTranslator.Translate(this, s))], PeriodUnit.Day));
    }

    /// <summary>Plans the counts of <paramref name="sets"/> as one program (see <see cref="CountAllAsync"/>).</summary>
    public BatchPlan PlanCounts(IReadOnlyList<SetExpr> sets, IReadOnlyDictionary<string, SetExpr>? parameters = null) =>
        Planner.PlanCounts(sets, parameters, LookUpExternalIds(sets, parameters));

    /// <summary>
    /// Counts every set of <paramref name="sets"/> in one batch: one round trip on Redis, one pass under the read
    /// lock embedded, so the counts see the same data (a percent's part and whole). One count per set, in order.
    /// </summary>
    public async Task<long[]> CountAllAsync(IReadOnlyList<SetExpr> sets, IReadOnlyDictionary<string, SetExpr>? parameters = null, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        var plan = Planner.PlanCounts(sets, parameters, await LookUpExternalIdsAsync(sets, parameters, ct).ConfigureAwait(false));
        foreach (var query in plan.Queries) Planner.Log(query);
        return await CountAsync(plan.Program, ct).ConfigureAwait(false);
    }

    /// <summary>The explain document of counting <paramref name="sets"/> in one batch (<see cref="CountAllAsync"/>).</summary>
    public string ExplainCounts(IReadOnlyList<SetExpr> sets, IReadOnlyDictionary<string, SetExpr>? parameters = null) =>
        ExplainPrinter.Print(PlanCounts(sets, parameters), Backend.Describe);

    /// <summary>Plans and runs <paramref name="query"/>.</summary>
    internal async Task<ReadResult> ExecuteAsync(SetQuery query, IReadOnlyDictionary<string, SetExpr>? parameters, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var plan = Planner.Plan(query, parameters, await LookUpExternalIdsAsync([query.Set], parameters, ct).ConfigureAwait(false));
        Planner.Log(plan);
        return (await RunAsync(plan.Program, ct).ConfigureAwait(false))[0];
    }

    /// <summary>Runs <paramref name="program"/> on the back end: one batch; nothing is sent when every read is of the empty set.</summary>
    private async Task<ReadResult[]> RunAsync(BatchProgram program, CancellationToken ct)
    {
        if (program.IsEmpty) return [.. program.Reads.Select(ReadResult.OfEmpty)];
        var results = await Live.RunAsync(program, ct).ConfigureAwait(false);
        if (results.Length != program.Reads.Length)
            throw new InvalidOperationException($"The back end {Backend.GetType().Name} answered {results.Length} reads of a program of {program.Reads.Length}.");
        return results;
    }

    /// <summary>Runs a program of counts: one count per read, in order.</summary>
    private async Task<long[]> CountAsync(BatchProgram program, CancellationToken ct) =>
        [.. (await RunAsync(program, ct).ConfigureAwait(false)).Select(r => r.Integer)];

    // ---------------------------------------------------------------- events

    /// <summary>Event names with at least one key, optionally only those starting with <paramref name="namePrefix"/>, sorted.</summary>
    /// <remarks>Uses SCAN (never KEYS) and skips temporaries and bitmapist's <c>bitop_</c> result keys.</remarks>
    public async Task<IReadOnlyList<string>> ListEventsAsync(string namePrefix = "", CancellationToken ct = default)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        await foreach (var key in ScanAsync(Keys.ScanPattern(namePrefix), ct).ConfigureAwait(false))
            if (Keys.TryParse(key, out var name, out _) && name.StartsWith(namePrefix, StringComparison.Ordinal))
                names.Add(name);
        return [.. names];
    }

    /// <summary>
    /// Describes <paramref name="eventName"/>: which periods have keys (per unit, how many, the first and last), and
    /// its user count this month. One SCAN of the event's keys (<c>{prefix}{event}_*</c>), then one query.
    /// </summary>
    public async Task<EventDescription> DescribeEventAsync(string eventName, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        var periods = new Dictionary<PeriodUnit, (int Keys, Period First, Period Last)>();
        await foreach (var key in ScanAsync(Keys.ScanPattern(eventName), ct).ConfigureAwait(false))
        {
            // The pattern also matches longer names ("active" finds "active_users_2026-3"): keep exact ones.
            if (!Keys.TryParse(key, out var name, out var period) || name != eventName) continue;
            periods[period.Unit] = periods.TryGetValue(period.Unit, out var seen)
                ? (seen.Keys + 1, period.CompareTo(seen.First) < 0 ? period : seen.First, period.CompareTo(seen.Last) > 0 ? period : seen.Last)
                : (1, period, period);
        }
        var month = Period.Of(PeriodUnit.Month, Now);
        var count = await At(eventName, month).CountAsync(ct).ConfigureAwait(false);
        var units = periods.OrderBy(p => p.Key).Select(p => new EventPeriods(p.Key, p.Value.Keys, p.Value.First, p.Value.Last)).ToList();
        return new EventDescription(eventName, units, month, count);
    }

    /// <summary>Deletes every key of the events whose names start with <paramref name="namePrefix"/> (all events when empty); returns the keys deleted.</summary>
    public async Task<long> DeleteEventsAsync(string namePrefix = "", CancellationToken ct = default)
    {
        long deleted = 0;
        var batch = new List<string>(500);
        await foreach (var key in ScanAsync(Keys.ScanPattern(namePrefix), ct).ConfigureAwait(false))
        {
            if (!Keys.TryParse(key, out var name, out _) || !name.StartsWith(namePrefix, StringComparison.Ordinal)) continue;
            batch.Add(key);
            if (batch.Count == 500)
            {
                deleted += await DeleteAsync(batch, ct).ConfigureAwait(false);
                batch.Clear();
            }
        }
        if (batch.Count > 0) deleted += await DeleteAsync(batch, ct).ConfigureAwait(false);
        ForgetEvents(namePrefix);
        return deleted;
    }

    /// <summary>Deletes the event's key in <paramref name="period"/> (the 12 month keys of a year).</summary>
    public Task<long> DeleteAsync(string eventName, Period period, CancellationToken ct = default)
    {
        _knownEvents.TryRemove(eventName, out _); // it may have no key left
        return DeleteAsync(Keys.KeysFor(eventName, period), ct);
    }

    /// <summary>
    /// Temporaries and leases still present (normally none once every query returned and every lease was disposed).
    /// A Redis store leaves out the scratch keys its queries keep for <see cref="StoreOptions.ScratchTtl"/> while
    /// their TTL is at most that: they remove themselves.
    /// </summary>
    public virtual async Task<IReadOnlyList<string>> ListTemporariesAsync(CancellationToken ct = default)
    {
        var keys = new List<string>();
        await foreach (var key in ScanAsync(Keys.TemporaryPattern, ct).ConfigureAwait(false)) keys.Add(key);
        return keys;
    }

    // ---------------------------------------------------------------- back end

    // Every call to the back end goes through these, so a disposed store says so instead of the back end's own
    // failure (a Redis store's closed connection reads as "connection lost", the embedded engine's as its lock).
    internal Task WriteBitsAsync(IReadOnlyList<BitWrite> writes, CancellationToken ct) => Live.WriteBitsAsync(writes, ct);

    internal Task MergeAsync(IReadOnlyList<BitmapMerge> merges, CancellationToken ct) => Live.MergeAsync(merges, ct);

    internal IAsyncEnumerable<string> ScanAsync(string pattern, CancellationToken ct) => Live.ScanAsync(pattern, ct);

    internal Task<long> DeleteAsync(IReadOnlyList<string> keys, CancellationToken ct) => Live.DeleteAsync(keys, ct);

    /// <summary>The back end, unless the store was disposed.</summary>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    internal IBitmapBackend Live
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return Backend;
        }
    }

    private volatile bool _disposed;

    /// <inheritdoc />
    public virtual async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await Backend.DisposeAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <inheritdoc />
    public virtual void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (Backend is IDisposable disposable) disposable.Dispose();
        else Backend.DisposeAsync().AsTask().GetAwaiter().GetResult();
        GC.SuppressFinalize(this);
    }
}
