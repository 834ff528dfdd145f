"""Accounts, their roles and their API keys."""
