"""Explorer widgets on standard ipywidgets: each a plain-Python model plus a thin view."""
