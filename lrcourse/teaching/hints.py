"""Hints one at a time: what every exercise checker, full or sealed, gives a learner.

A checker that mixes this in has ``name``, ``title``, ``hints`` (a list of strings, the
last the most explicit) and ``_hints_seen`` (how many the learner has been shown).
"""

import numbers


class HintsInOrder:
    """``hint()`` gives the next hint and says how many remain; ``hint(n)`` shows hint n."""

    def hint(self, n=None):
        """Print the next hint, or hint ``n`` (from 1). The last hint is the most explicit."""
        total = len(self.hints)
        if not total:
            print(f"No hints for {self.title}.")
            return
        if n is None:
            if self._hints_seen >= total:
                print(f"You have seen all {total} hints for {self.title}; "
                      f"check.{self.name}.hint(n) shows hint n again (n = 1 to {total}).")
                return
            n = self._hints_seen + 1
        elif (isinstance(n, bool) or not isinstance(n, numbers.Integral)
              or not 1 <= n <= total):
            print(f"check.{self.name}.hint(n) takes a whole number n from 1 to {total} "
                  f"(there are {total} hints); got {n!r}. "
                  f"check.{self.name}.hint() shows the next one.")
            return
        n = int(n)
        self._hints_seen = max(self._hints_seen, n)
        left = total - self._hints_seen
        more = ("that was the last hint" if left == 0 else
                f"{left} more: call check.{self.name}.hint() again"
                + ("; the last one is the most explicit" if left == 1 else ""))
        print(f"Hint {n} of {total} for {self.title}: {self.hints[n - 1]}\n   ({more})")
