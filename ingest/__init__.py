"""Batch jobs: readers, source mappings, validation, loading, entity resolution, synthetic data."""
