"""Practice 4, post-deployment: prediction logs, drift, quality, performance, SLAs, alerts, traffic."""
