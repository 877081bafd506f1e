"""Providers of the dashboards' detail tables, one module per subject.

Every module here that defines ``PROVIDERS: list[FrameProvider]`` is picked up by
``core.metrics.detail.discover_providers``; nothing else needs registering.
"""
