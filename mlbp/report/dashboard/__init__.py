"""`mlbp ui`: one web page where the whole team sees the registry, sweeps, runs, model cards,
monitoring and the audit trail. Read-only unless a request carries the admin key."""
