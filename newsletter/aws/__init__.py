"""The AWS front end: Lambda handlers of the scheduled job and the send workers, and the
settings they read (environment plus SSM Parameter Store)."""
