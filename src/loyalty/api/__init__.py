"""HTTP dialects: routes and wire schemas only, over the domain services."""
