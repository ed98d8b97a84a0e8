"""IT insights: what the copilot resolves, deflects, escalates and misses.

The audit stream (``copilot.audit``) is the only source. :mod:`copilot.insights.consumer` copies each
event once into analytics tables in the history database (:mod:`copilot.insights.tables`), keyed by its
stream id, and recomputes the touched conversations' facts and outcome class
(:mod:`copilot.insights.outcomes`). The dashboard (``/console/insights``, :mod:`copilot.web.insights`)
and ``/metrics`` read figures from those tables (:mod:`copilot.insights.figures`). See docs/insights.md.
"""
