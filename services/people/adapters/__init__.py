"""The people service's database tables and repositories."""
