"""Complaints (投诉举报): anyone may report a public label, follow the case by its reference number, and read the
published outcome; the regulator and the label's issuing body triage it."""
