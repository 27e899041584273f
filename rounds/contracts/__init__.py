"""Event contracts shared by every service: typed, versioned, past-tense facts.

One module per publishing service (``rounds.contracts.people`` ...). Services import these models,
never each other. :func:`rounds.contracts.registry.registered_events` finds every contract and
:func:`rounds.contracts.registry.json_schemas` exports their JSON Schemas.
"""
