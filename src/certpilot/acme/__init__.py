"""acme layer."""
