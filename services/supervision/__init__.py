"""supervision: Supervision agreements, sessions, compliance and workforce development."""
