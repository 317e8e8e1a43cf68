"""Domain services: plain functions taking values, checking permissions, auditing, flushing, never committing."""
