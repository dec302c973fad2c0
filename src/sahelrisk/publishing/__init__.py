"""What planners read: the outputs folder of a scoring run, its maps and its bulletin."""
