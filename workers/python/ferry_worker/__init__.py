"""The Python side of Ferry's models-as-code runtime (standard library and numpy only)."""
