"""The visits domain: expected visits, doorstep records, verification and the monitor's rules (no I/O)."""
