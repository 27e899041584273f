"""The supervision service's domain: plain Python, no I/O.

Agreements, sessions and the compliance engine come with the supervision issue.
"""
