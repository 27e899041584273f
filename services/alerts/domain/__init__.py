"""The alerts service's domain: plain Python, no I/O.

Alert rules, escalation and notifications come with the alerts issue.
"""
