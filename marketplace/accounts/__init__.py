"""Companies, addresses, users, memberships and roles, sessions, API tokens, invitations, password reset."""
