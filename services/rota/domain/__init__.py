"""The rota's domain: plain Python, no I/O."""
