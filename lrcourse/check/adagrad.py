"""Checkers for the exercises on adagrad."""
