"""The supervision service's database tables and repositories."""
