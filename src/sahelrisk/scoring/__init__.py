"""Applying a registered model to one week: risk per cell and per admin area."""
