"""Practice 5 (and the hand-off of practice 3): bundles, the registry, aliases, approvals, history."""
