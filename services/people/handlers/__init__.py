"""Commands the people service carries out: each loads, decides, records events and commits."""
