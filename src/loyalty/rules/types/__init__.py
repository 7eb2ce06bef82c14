"""One module per rule family; each declares ``TYPES``."""
