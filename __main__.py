"""``python -m mashgraph`` runs the command line."""

from .cli import main

main()
