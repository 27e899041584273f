"""Commands and events the alerts service carries out.

Alert rules, escalation and notifications come with the alerts issue.
"""
