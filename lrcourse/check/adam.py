"""Checkers for the exercises on adam."""
