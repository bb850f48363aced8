"""An example talkgit plug-in: the ``changelog`` agent and the ``no-print`` gate."""

__version__ = "0.1.0"
