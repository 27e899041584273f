"""Commands and events the visits service carries out.

Check-in and check-out telemetry, visit records and the monitor come with the visits issue.
"""
