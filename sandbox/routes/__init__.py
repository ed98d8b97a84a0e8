"""Freshservice API v2 routes, one module per area (like the real API reference)."""
