"""Durable conversation workflows: explicit state machines kept in Redis, never in prompt memory."""
