"""Service level agreements, operational targets and the clocks that run on every incident."""
