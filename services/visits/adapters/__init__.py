"""The visits service's database tables and repositories."""
