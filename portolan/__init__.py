"""Portolan: the workbench of an infrastructure program office."""

__version__ = "0.1.0"
