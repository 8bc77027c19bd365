"""Read models the organizer console needs: live sale figures, order search, user admin."""
