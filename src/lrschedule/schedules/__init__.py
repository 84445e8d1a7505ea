"""The schedules, one module per family."""
