"""The HTTP edge: app factory, dependencies, problem+json mapping, routers."""
