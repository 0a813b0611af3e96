"""Imports from CSV files (`smsc import`): a blocklist into the opt-out list, recipients into a static
marketing list. The file streams through in chunks of 1,000 rows, each written in one batch."""
