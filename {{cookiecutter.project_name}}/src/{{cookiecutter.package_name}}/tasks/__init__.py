"""The steps, wired to their adapters: one function per step, each a task of a Databricks job.

Each reads tables or registered models and writes tables or registry entries; nothing is handed
from one step to the next in memory, so any step can run again alone.
"""
