"""Commands and events the supervision service carries out.

Agreements, sessions and the compliance engine come with the supervision issue.
"""
