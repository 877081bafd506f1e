"""The pieces of the demo-data generator; ``data.generate`` puts them together."""
