// Test classes run in parallel; each class owns its server (WebApplicationFactory), so counters and limits do not mix.
[assembly: Parallelize(Scope = ExecutionScope.ClassLevel)]
