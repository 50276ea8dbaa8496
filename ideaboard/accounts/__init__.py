"""Users, roles, registration and login."""
