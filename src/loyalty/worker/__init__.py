"""Background work: approvals and expiry of ledger entries, and later the job queue."""
