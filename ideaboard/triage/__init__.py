"""Review stages, status changes and the staff workspace."""
