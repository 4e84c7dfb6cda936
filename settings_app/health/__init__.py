"""Liveness and readiness for load balancers and orchestrators: /healthz and /readyz."""
