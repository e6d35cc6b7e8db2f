"""Checkers for the exercises on rmsprop."""
