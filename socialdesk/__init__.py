"""socialdesk: customer service on social media from a terminal queue."""

__version__ = "0.1.0"
