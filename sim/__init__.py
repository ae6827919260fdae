"""sim: a discrete-event simulator of Amazon Connect outbound campaign dialing."""

__version__ = "0.1.0"

__all__ = ["__version__"]
