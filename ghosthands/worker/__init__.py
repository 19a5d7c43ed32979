"""The worker: claim jobs, run them, heartbeat, recover, call back."""
