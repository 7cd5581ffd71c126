"""mlbp: a tabular model from raw data to a monitored, governed service, declared in YAML."""

__version__ = "0.1.0"
