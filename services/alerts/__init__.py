"""alerts: Alert rules, on-call escalation and notifications."""
