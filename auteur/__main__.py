"""``python -m auteur``: the `auteur` command."""

from auteur.cli import main

if __name__ == "__main__":
    main()
