"""HTTP API: the Starlette app (``create_app``) and the role that serves it."""
