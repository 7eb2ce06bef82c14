"""Small shared tools: ids, clock, pagination, column types."""
