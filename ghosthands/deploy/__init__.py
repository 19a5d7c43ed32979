"""Deploying GhostHands to a host: releases, drains, health gates, rollbacks, fleets.

This package knows how to replace one running release with another on a host (through
a container engine, systemd, or plain processes) and how a fleet of hosts is rolled
forward. It knows nothing of jobs: it talks to the roles only through their health and
drain endpoints and signals.
"""
