"""What a job is: statuses, transitions, error codes (the one definition of each)."""
