"""The standalone room: a gate in front of any origin, queueing fans only while it struggles."""
