"""rota: care packages, visit generation, allocation of workers and repair of the day."""
