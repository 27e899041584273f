"""The people service's domain: plain Python, no I/O."""
