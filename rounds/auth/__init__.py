"""Tokens for the Rounds API: the built-in issuer's signing key, the claims Rounds reads, and minting.

Shared by the gateway (which verifies and, for partner clients, issues tokens), the ``rounds token``
command and the tests, so all three agree on the claim names and the key file.
"""
