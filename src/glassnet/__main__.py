"""``python -m glassnet``: the same as the ``glassnet`` command."""

from glassnet.cli import main

if __name__ == "__main__":
    main()
