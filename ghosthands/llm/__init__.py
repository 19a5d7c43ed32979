"""The LLM side of GhostHands: provider clients, the model catalogue, per-job cost control,
the observe-act agent loop and replay of recorded manuals.

Data flows one way: a handler resolves a :class:`~ghosthands.llm.catalogue.ModelSpec`,
opens a provider client (``providers``), wraps every call in the job's
:class:`~ghosthands.llm.cost.CostMeter`, and drives a page with
:class:`~ghosthands.llm.agent.Agent` (or replays a manual with ``manuals``).
"""
