"""Checkers for the exercises on comparison."""
