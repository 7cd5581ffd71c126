"""The restaurant-offers example's config overlay, shipped in the wheel as
mlbp.examples.restaurant_offers.conf so that `mlbp` in an empty folder runs the example (the launcher
adds it when no --config-dir is given)."""
