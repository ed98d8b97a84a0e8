"""IT insights: what the copilot resolves, deflects, escalates and misses."""
