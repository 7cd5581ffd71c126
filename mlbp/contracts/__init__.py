"""Schema contracts: a YAML spec, built into a pandera schema, validated lazily, with quarantine."""
