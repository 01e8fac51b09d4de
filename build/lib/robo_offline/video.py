"""Writing frames to mp4 and PNG, in one place for the demo and the render command."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def write_mp4(path: Path, frames: list[np.ndarray], fps: int = 10) -> Path:
    """RGB uint8 frames -> mp4 (OpenCV's mp4v codec: plays in desktop players, not in browsers)."""
    if not frames:
        raise ValueError(f"no frames to write to {path}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV could not open an mp4 writer for {path}")
    try:
        for frame in frames:
            writer.write(cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    return path


def write_png(path: Path, image: np.ndarray) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2BGR))
    return path


def upscale(image: np.ndarray, size: int) -> np.ndarray:
    """Nearest-neighbour upscaling, so the agent's low-resolution pixels stay visible as pixels."""
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_NEAREST)


def put_text(image: np.ndarray, text: str, row: int = 0, colour=(255, 255, 255)) -> np.ndarray:
    out = np.ascontiguousarray(image).copy()
    y = 14 + 14 * row
    cv2.putText(out, text, (4, y), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(out, text, (4, y), cv2.FONT_HERSHEY_SIMPLEX, 0.4, colour, 1, cv2.LINE_AA)
    return out


def contact_sheet(rows: list[list[np.ndarray]]) -> np.ndarray:
    """A grid image; rows may differ in length (short rows are padded with black)."""
    cols = max(len(r) for r in rows)
    h, w = rows[0][0].shape[:2]
    sheet = np.zeros((h * len(rows), w * cols, 3), np.uint8)
    for i, row in enumerate(rows):
        for j, frame in enumerate(row):
            sheet[i * h:(i + 1) * h, j * w:(j + 1) * w] = frame
    return sheet
