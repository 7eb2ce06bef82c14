"""Points airdrops: CSVs of wallets or users and amounts, credited by the worker in batches."""
