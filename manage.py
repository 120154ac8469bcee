#!/usr/bin/env python
"""Django's manage.py, for those who expect it; ``portolan`` is the same thing."""

from portolan.cli import main

if __name__ == "__main__":
    main()
