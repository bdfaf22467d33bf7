"""Contact sheets: photos with one box each, tiled into one PNG for judging results by eye."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def contact_sheet(items: list[tuple[np.ndarray, np.ndarray, str]], out: Path, tile: int = 160, columns: int = 8) -> Path:
    """items: (BGR image, box x1 y1 x2 y2, label); each image is shrunk into a tile with its box in
    red and its label under it. An empty list still writes a (black) sheet."""
    tiles = []
    for image, box, label in items:
        image = image.copy()
        x1, y1, x2, y2 = (int(round(float(v))) for v in box)
        cv2.rectangle(image, (x1, y1), (x2, y2), (0, 0, 255), max(1, max(image.shape[:2]) // 200))
        scale = tile / max(image.shape[:2])
        small = cv2.resize(image, (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale))))
        cell = np.zeros((tile + 14, tile, 3), np.uint8)
        cell[: small.shape[0], : small.shape[1]] = small
        cv2.putText(cell, label, (2, tile + 11), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 255, 255), 1)
        tiles.append(cell)
    if not tiles:
        tiles.append(np.zeros((tile + 14, tile, 3), np.uint8))
    while len(tiles) % columns:
        tiles.append(np.zeros_like(tiles[0]))
    rows = [np.hstack(tiles[i : i + columns]) for i in range(0, len(tiles), columns)]
    if not cv2.imwrite(str(out), np.vstack(rows)):
        raise OSError(f"could not write the contact sheet {out}")
    return Path(out)
