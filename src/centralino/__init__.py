"""Centralino: an open-source contact-center platform.

The package is layered; dependencies point inward (see docs/architecture.md):
``core`` and ``calls`` at the centre, the engines (``acd``, ``ivr``, ``records``,
``planning``) around them, telephony (``sip``, ``media``) beside them, and the
shells (``store``, ``api``, ``web``, ``app``, ``cli``) outside.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
