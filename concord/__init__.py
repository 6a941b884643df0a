"""Concord: the platform of a joint security coordination centre shared by partner nations."""

__version__ = "0.1.0"
