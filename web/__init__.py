"""The Flask explorer."""
