namespace Vmm.Hosting.Tests;

public sealed class MemoryTrimTests
{
    [Fact]
    public async Task Requests_made_while_a_trim_is_pending_are_one_trim()
    {
        long before = MemoryTrim.Trims;
        for (int i = 0; i < 100; i++) MemoryTrim.Request();

        var until = DateTime.UtcNow.AddSeconds(30);
        while (MemoryTrim.Trims == before && DateTime.UtcNow < until) await Task.Delay(50);
        await Task.Delay(300);

        Assert.Equal(before + 1, MemoryTrim.Trims);
    }
}
