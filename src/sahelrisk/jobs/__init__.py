"""Jobs that run unattended: the weekly update, retrain, score and publish."""
