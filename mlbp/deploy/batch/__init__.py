"""The batch scorer: plan Parquet/CSV inputs into pieces, check, predict, write scores and quarantine."""
