"""The `quartermaster` command line. Heavy imports are deferred into each command."""
