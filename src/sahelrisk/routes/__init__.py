"""Convoy routes and mining sites: where a planner's route runs (places, tracks, the road
network) and how risky it and each site are in a scored week."""
