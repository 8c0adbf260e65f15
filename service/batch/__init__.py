"""Reviewing a whole folder of contracts: discovery, isolated workers, resumable outputs, and the
same batch on a Dask cluster."""
from .runner import BatchOptions, BatchReport, run_batch

__all__ = ["BatchOptions", "BatchReport", "run_batch"]
