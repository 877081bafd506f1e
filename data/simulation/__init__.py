"""Parts of the live activity simulator; ``python -m data.simulate`` is its entry point."""
