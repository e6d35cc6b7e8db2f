"""Figures: everything drawn. Uses the numerics layer and matplotlib, never the teaching layer.

* ``plotting``     static figures in the book's one style (one colour per optimizer)
* ``views``        what a path or a race looks like at one frame, shared by both twins below
* ``scrubber``     the static, scrubbable twin of an interactive figure (the website);
                   its player is ``scrubber.js``, inlined into each figure
* ``interactive``  ``explore`` and ``race``: live ipywidgets in a kernel, plus the static twin
* ``_arguments``   the checks that make a wrong argument fail at the learner's call
"""
