"""How things look: text made inert, times, units, columns, and the sandbox and snapshot views.

Nothing here writes anywhere or imports rich; ``output.py`` decides where the text goes.
"""
