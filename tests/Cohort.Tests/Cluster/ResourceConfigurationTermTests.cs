using Cohort.Cluster;

namespace Cohort.Tests.Cluster;

/// <summary>
/// The term (the version at which the primary took office, what replicas fence on) and the factor (the copies the
/// resource is meant to have) of a <see cref="ResourceConfiguration"/>, through changes and the stored form.
/// </summary>
public sealed class ResourceConfigurationTermTests
{
    private const string A = "127.0.0.1:7001";
    private const string B = "127.0.0.1:7002";
    private const string C = "127.0.0.1:7003";

    [Fact]
    public void Term_StaysWhileOnlyTheReplicasChange_AndIsTheNewVersionWhenThePrimaryChanges()
    {
        var first = ResourceConfiguration.Create("kv:a", 1, A, [B, C]);
        Assert.Equal(1, first.Term);

        var removed = first.Next(A, [B]);
        var added = removed.Next(A, [B, C]);
        Assert.Equal((2, 1), (removed.Version, removed.Term));
        Assert.Equal((3, 1), (added.Version, added.Term));

        var promoted = added.Next(B, [C]);
        Assert.Equal((4, 4), (promoted.Version, promoted.Term));
        Assert.Equal(4, promoted.Next(B, []).Term);
    }

    [Fact]
    public void Factor_IsKeptThroughChanges_SoACopyLostIsMissedUntilOneIsAddedBack()
    {
        var first = ResourceConfiguration.Create("kv:a", 1, A, [B, C]) with { Factor = 3 };
        var removed = first.Next(A, [B]);
        Assert.Equal(3, removed.Factor);
        Assert.Equal(2, removed.Members.Count);
        Assert.Equal(3, removed.Next(A, [B, C]).Factor);

        // Without a factor the members are what the resource should have.
        Assert.Equal(2, ResourceConfiguration.Create("kv:b", 1, A, [B]).Factor);
    }

    [Fact]
    public void TermAndFactor_SurviveTheStoredForm_AndBelongToEquality()
    {
        var promoted = ResourceConfiguration.Create("kv:a", 1, A, [B, C]).Next(A, [B]).Next(A, [B, C]) with { Factor = 3 };
        var stored = ResourceConfiguration.Decode(promoted.Encode());
        Assert.Equal(promoted, stored);
        Assert.Equal((1, 3), (stored.Term, stored.Factor));
        Assert.NotEqual(promoted, promoted with { Term = 3 });
        Assert.NotEqual(promoted, promoted with { Factor = 5 });
    }

    [Fact]
    public void Validate_RefusesATermAfterTheVersion_AndMoreMembersThanTheFactor()
    {
        Assert.Throws<ArgumentException>(() => (ResourceConfiguration.Create("kv:a", 2, A, [B]) with { Term = 3 }).Validate());
        Assert.Throws<ArgumentException>(() => (ResourceConfiguration.Create("kv:a", 1, A, [B, C]) with { Factor = 2 }).Validate());
        var two = ResourceConfiguration.Create("kv:a", 1, A, [B]) with { Factor = 2 };
        Assert.Throws<ArgumentException>(() => two.Next(A, [B, C]));
    }
}
