"""asi-chat: a keyboard-first terminal client for ASI:One's agentic models."""

__version__ = "0.1.0"
