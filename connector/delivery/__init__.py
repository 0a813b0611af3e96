"""Delivery reports, end to end: applied to the SMS activities they are about (`service`), the
opt-out of numbers that stay undeliverable (`undeliverable`), and reports that arrived before their
campaign activities, applied once those are written (`waiting`)."""
