"""Quiz and poll questions, their choices and the users' responses."""
