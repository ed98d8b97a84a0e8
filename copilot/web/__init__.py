"""HTTP routes the copilot adds next to Chainlit's own (health, metrics, REST channel, webhooks)."""
