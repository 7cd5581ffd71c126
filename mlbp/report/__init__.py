"""Reports people read: the run report, leaderboards, model cards, the dashboard."""
