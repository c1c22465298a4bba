"""Supervision: the regulator's console (orders to suspend or withdraw a label, the dishonest-entity list and the
withdrawal demands it sets the bodies) and the public list (/dishonest)."""
