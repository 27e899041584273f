"""The rota service's database tables and repositories."""
