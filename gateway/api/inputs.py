"""Shared wording for mutation arguments."""

INPUT = "The mutation's input; see its type for every field's rules."
