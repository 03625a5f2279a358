"""Shared parts of the diffusion pipelines: finding and checking models and LoRAs (no torch
here), and the torch runtime they load on first use."""
