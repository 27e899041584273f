"""A living demo provider: a realistic synthetic home care provider, and loading it through the gateway."""
