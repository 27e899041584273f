"""The visits service's domain: plain Python, no I/O.

Check-in and check-out telemetry, visit records and the monitor come with the visits issue.
"""
