"""The only code that imports hydra/omegaconf: config -> stages -> graph, and the Hydra apps."""
