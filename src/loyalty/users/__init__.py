"""End users (members, customers) of a website, found by any of their identities."""
