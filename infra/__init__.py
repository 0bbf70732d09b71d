"""Plumbing shared by every service: configuration, database, outbox, inbox, event consumer."""
