"""The immutable event log: one row per applied command, written in the command's own transaction."""
