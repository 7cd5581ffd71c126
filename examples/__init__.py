"""Runnable example projects, each the shape `mlbp init` writes; shipped in the wheel as mlbp.examples."""
