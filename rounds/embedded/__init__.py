"""The embedded default: a local Kafka-protocol broker and a supervisor for every Rounds process.

Nothing here is imported by the services themselves; it is how ``rounds up``, ``rounds broker`` and the
test suites run the platform on one machine with no Docker and no accounts.
"""
