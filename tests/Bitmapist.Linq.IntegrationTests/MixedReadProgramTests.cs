using Bitmapist.Linq.Backends;
using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Planning;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Microsoft.Extensions.Time.Testing;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>
/// A program of several reads of different kinds (count, contains, min, ids, max) is one batch on every back end: the
/// counts script does not take it, so on Redis it is one MULTI/EXEC with BITCOUNT, GETBIT, BITPOS and GET (the ids,
/// and the minimum on bitmapist-server, decoded in the client). Each read must give what the same query alone gives.
/// </summary>
public class MixedReadProgramTests
{
    private static readonly DateTime Now = new(2026, 11, 28, 14, 5, 0, DateTimeKind.Utc);

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task Every_read_of_a_mixed_program_answers_as_its_query_alone(string kind)
    {
        await using var store = await StoreKind.CreateAsync(kind, new StoreOptions { Clock = new FakeTimeProvider(new DateTimeOffset(Now)) });
        var batch = store.CreateBatch();
        foreach (var id in new long[] { 3, 5, 8, 13, 21, 1_000_000 }) batch.Mark("a", id, Now);
        foreach (var id in new long[] { 5, 13, 34, 1_000_000 }) batch.Mark("b", id, Now);
        await batch.ExecuteAsync();

        SetExpr A = SetExpr.Event("a", Period.Month(2026, 11)), B = SetExpr.Event("b", Period.Month(2026, 11));
        (SetExpr Set, ReadKind Kind, uint Id)[] reads =
        [
            (SetExpr.And(A, B), ReadKind.Count, 0),
            (SetExpr.And(A, B), ReadKind.Contains, 13),
            (SetExpr.And(A, B), ReadKind.Contains, 8),
            (SetExpr.Diff(A, B), ReadKind.Min, 0),
            (SetExpr.Diff(B, A), ReadKind.Min, 0),
            (SetExpr.Empty, ReadKind.Min, 0),
            (SetExpr.Or(A, B), ReadKind.Count, 0),
            (SetExpr.Xor(A, B), ReadKind.Contains, 34),
            (SetExpr.And(A, B), ReadKind.Ids, 6),
            (SetExpr.Or(A, B), ReadKind.Max, 0),
        ];
        var context = new BindContext(Now, store.Keys);
        var program = ProgramEmitter.Emit([.. reads.Select(r => (Optimizer.Optimize(Binder.Bind(r.Set, context), null), r.Kind, r.Id))], store.Profile);
        program.CountsOnly.ShouldBeFalse();

        var results = await store.Backend.RunAsync(program, default);

        results.Length.ShouldBe(reads.Length);
        for (var i = 0; i < reads.Length; i++)
        {
            var alone = (await store.Backend.RunAsync(store.Plan(new SetQuery(reads[i].Set, reads[i].Kind, reads[i].Id)).Program, default))[0];
            if (reads[i].Set.Kind == SetKind.Empty) alone = ReadResult.OfEmpty(program.Reads[i]);
            results[i].Integer.ShouldBe(alone.Integer, $"read {i}: {reads[i].Kind} of {reads[i].Set}");
            if (alone.Ids is { } leased) await leased.DisposeAsync();
        }
        results.Select(r => r.Integer).ShouldBe([3, 1, 0, 3, 34, -1, 7, 1, 0, 0]); // a & b = {5, 13, 1000000}; a - b starts at 3; b - a = {34}
        // Ids from 6 and the largest member stream from the batch's own snapshot (GET on Redis: no lease left behind).
        var ids = new List<uint>();
        await foreach (var page in results[8].Ids!.PagesAsync(6, default)) ids.AddRange(page);
        ids.ShouldBe([13u, 1_000_000u]);
        (await results[9].Ids!.MaxAsync(default)).ShouldBe(1_000_000u);
        foreach (var r in results) if (r.Ids is { } source) await source.DisposeAsync();
        (await store.ListTemporariesAsync()).ShouldBeEmpty("the batch deletes its temporaries");
        await store.DeleteEventsAsync();
    }
}
