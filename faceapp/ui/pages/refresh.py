"""Pages that rebuild their tables from the gallery only when someone can see them."""

from __future__ import annotations


class RefreshWhenShown:
    """Mixin for a QWidget page with a `refresh()`: a change while the page is hidden only marks it
    stale, and the page refreshes when next shown (a recognised face must not rebuild hidden tables)."""

    _stale = True  # filled when first shown, not before the first paint

    def _changed(self) -> None:
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True

    def showEvent(self, event):  # noqa: N802 (Qt naming)
        if self._stale:
            self.refresh()
        super().showEvent(event)
