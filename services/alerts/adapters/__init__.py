"""The alerts service's database tables and repositories."""
