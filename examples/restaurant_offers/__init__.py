"""The bundled example: restaurant offers (its config overlay, seeded generator and source)."""
