"""Task handlers: what each job_type does, and the registry that finds them."""
