"""Checkers for the exercises on schedules."""
