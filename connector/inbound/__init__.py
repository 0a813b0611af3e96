"""The loop back's inbound side (DESIGN §1.4, §7): replies become conversations, STOP / START keywords
move the opt-out list, other keywords start hook workflows."""
