"""Practice 1, data assessment: sources, the lake, profiling, feasibility, catalog."""
