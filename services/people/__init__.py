"""people: the registry of individuals, key people, care plans, workers and the on-call roster."""
