"""``python -m khorsyio_gen``: the ``khorsyio`` command."""

from khorsyio_gen.cli import main

raise SystemExit(main())
