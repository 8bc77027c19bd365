"""Organizations: the teams that own events, their members' roles and invitations."""
