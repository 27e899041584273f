"""visits: Check-in and check-out telemetry, visit records and the visit monitor."""
