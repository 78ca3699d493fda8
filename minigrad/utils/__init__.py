"""minigrad.utils: torch.utils's path; `minigrad.utils.data` holds the datasets and the DataLoader."""
from minigrad.utils import data as data

__all__ = ["data"]
