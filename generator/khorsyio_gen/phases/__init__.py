"""The phases of ``khorsyio gen``, in the order :func:`khorsyio_gen.gen.generate` runs them.

``locate`` finds each handler's current module (and the moves it makes); ``render`` renders
everything fresh from the spec, formatted in one ruff batch, each kind of text in a field of
its own (:class:`~khorsyio_gen.phases.render.Fresh`); ``merge`` merges each module with its
fresh rendering; ``tests`` plans the test files gen creates; ``format`` formats the merged
modules that were ruff-clean and checks that nothing of the person's went missing;
``orphans`` reports (or prunes) the files of handlers that left the spec; ``finish`` adds the
packages, AGENTS.md and the new manifest; ``write`` applies the
:class:`~khorsyio_gen.phases.outcome.Outcome`.
"""
