"""A fan's moves of a ticket after the sale: cancel, transfer, face-value resale."""
