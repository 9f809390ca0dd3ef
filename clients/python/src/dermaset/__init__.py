"""dermaset: a client for a dermaset server (see dermaset.client)."""
from .client import DEFAULT_URL, MAX_WORKERS, Client, ConfigurationError, DermasetError

__all__ = ["Client", "DermasetError", "ConfigurationError", "DEFAULT_URL", "MAX_WORKERS"]
__version__ = "0.2.0"
