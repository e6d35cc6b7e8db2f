"""Checkers for the exercises on gradient descent."""
