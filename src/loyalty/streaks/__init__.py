"""Check-ins and their streaks (check_in rules)."""
