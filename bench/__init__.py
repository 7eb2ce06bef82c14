"""Benchmarks of the ledger write path: ``python -m bench`` (``make bench``).

They print figures and write them to ``bench/results/latest.json``; they assert nothing
about time. Each database is measured in a scratch database created, migrated and dropped
by the run, against the real server started as separate processes.
"""
