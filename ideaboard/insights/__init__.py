"""Public transparency: Ideas in Action, board stats, Atom feeds of status updates."""
