"""The phases of ``khorsyio gen``, in the order :func:`khorsyio_gen.gen.generate` runs them.

``current`` reads the project's handler modules and the previous manifest; ``handlers``
merges each module with its fresh rendering; ``tests`` plans the test files gen creates;
``orphans`` reports (or prunes) the files of handlers that left the spec; ``finish`` adds
the packages, AGENTS.md and the new manifest; ``write`` applies the :class:`Outcome`.
"""
