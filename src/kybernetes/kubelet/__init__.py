"""The kubelet: node agents. ``simulated`` carries many fake nodes in one process (as kwok)."""
