"""Closed-loop admission: organizer targets, the controller's step, and the odds figures."""
