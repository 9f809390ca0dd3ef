"""dermaset: a client for a dermaset server (see dermaset.client)."""
from .client import DEFAULT_URL, MAX_WORKERS, Client, ConfigurationError, DermasetError
from .evaluation import Evaluation, ImportReport

__all__ = ["Client", "DermasetError", "ConfigurationError", "DEFAULT_URL", "MAX_WORKERS", "Evaluation", "ImportReport"]
__version__ = "0.3.0"
