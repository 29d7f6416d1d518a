"""Gatekeepers keep their program's directory entry current: capacity and one-click confirmation."""
