"""The git store: the only code that imports pygit2.

Commits are built in memory and refs move only by compare-and-swap, so the user's
working tree, index, HEAD and branches are never touched.
"""
