"""Models of the sla app: agreements and targets (agreements.py), clocks (clocks.py)."""
