"""The registry's operations, one file per verb; each is one transaction with its log entry."""
