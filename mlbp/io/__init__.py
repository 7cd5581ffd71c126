"""Reading and writing artifact folders: frames as Parquet, facts as JSON, objects with joblib.

One spelling of each, so every stage stores the same kind of thing the same way.
"""

from mlbp.io.artifacts import read_frame, read_json, write_frame, write_json

__all__ = ["read_frame", "read_json", "write_frame", "write_json"]
