"""Synthetic face masks drawn from the five landmarks, for evaluation and for training the mask check.

The mask is designed in the 112x112 ArcFace template frame (eyes at y~52, nose tip ~72, mouth ~92),
rendered there as a shaded RGBA patch and warped into the image by the similarity that takes the
template onto the face's landmarks: it scales with the face and follows in-plane roll. Its outline
is built from the face's own landmarks mapped back into that frame, so a turned head (nose off the
eye midline) gets a narrower mask on the far side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from faceapp.vision.align import ARCFACE_TEMPLATE, similarity_transform, transform_points

Kind = Literal["surgical", "cloth", "n95"]
Pattern = Literal["none", "stripes", "dots", "checks", "print"]  # print: blotches, like flowers or camouflage

# Canonical canvas the patch is rendered on (template units): wide enough for the ear loops,
# tall enough to reach below the chin (the template's chin is at y~112).
_CANVAS_X0, _CANVAS_Y0, _CANVAS_W, _CANVAS_H = -10.0, 34.0, 132.0, 106.0
# Canvas pixels per template unit are the face's own scale, within these limits: below 1 the
# pleats and seams melt away anyway; above 6 the patch gets big for nothing (warping blurs it).
_MIN_RES, _MAX_RES = 1.0, 6.0

# BGR palettes, drawn from the masks in ../shared/data/masked-real.
_SURGICAL_COLORS = [(228, 196, 140), (235, 212, 170), (238, 238, 234), (190, 210, 160), (205, 185, 245), (215, 200, 250)]
_CLOTH_COLORS = [(34, 34, 38), (70, 70, 74), (128, 128, 130), (88, 48, 30), (226, 226, 222), (170, 190, 210),
                 (180, 160, 235), (150, 185, 215)]
_N95_COLORS = [(242, 242, 240), (222, 226, 230), (200, 200, 198)]
_PATTERN_COLORS = [(245, 245, 245), (40, 40, 150), (150, 90, 40), (60, 60, 60), (120, 180, 230)]


@dataclass(frozen=True, slots=True)
class MaskStyle:
    """How one synthetic mask looks; distances are fractions of the eye-to-mouth height."""

    kind: Kind = "surgical"
    color: tuple[int, int, int] = _SURGICAL_COLORS[0]  # BGR
    pattern: Pattern = "none"
    pattern_color: tuple[int, int, int] = (245, 245, 245)
    pleats: int = 3  # horizontal folds (surgical)
    nose_covered: bool = True
    # With the nose covered, where the top edge sits: 0 just above the nose tip, 1 at the bridge.
    top: float = 0.6
    chin: float = 0.2  # how far the bottom edge reaches below the chin
    width: float = 1.0  # multiplier on the reach towards the ears
    seam: bool = True  # centre seam (cloth, N95)
    loops: bool = True  # ear loops
    valve: bool = False  # exhalation valve (N95, some cloth masks)
    shading: float = 1.0  # strength of the curvature shading
    noise: float = 3.0  # per-pixel fabric noise (grey levels)


def random_style(rng: np.random.Generator | int | None = None) -> MaskStyle:
    """A random mask: ~45% surgical, ~40% cloth (a third patterned), ~15% N95; deterministic per seed.

    Colours come half from palettes of common masks, half at random: real masks come in every colour,
    and a classifier should learn the shape over the lower face, not a handful of colours.
    """
    rng = np.random.default_rng(rng)

    def pick(seq):
        return seq[int(rng.integers(len(seq)))]

    def any_color(saturation: float, value: tuple[float, float]) -> tuple[int, int, int]:
        hsv = np.uint8([[[rng.integers(180), rng.uniform(0, saturation) * 255, rng.uniform(*value) * 255]]])
        return tuple(int(c) for c in cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0])

    kind: Kind = pick(["surgical"] * 9 + ["cloth"] * 8 + ["n95"] * 3)
    pattern: Pattern = "none"
    pattern_color = pick(_PATTERN_COLORS) if rng.random() < 0.5 else any_color(0.9, (0.1, 1.0))
    if kind == "surgical":
        color = pick(_SURGICAL_COLORS) if rng.random() < 0.7 else any_color(0.35, (0.75, 0.95))
        pleats = int(rng.choice([0, 2, 3, 3, 3]))
        if rng.random() < 0.1:
            pattern = "print"
    elif kind == "cloth":
        color, pleats = (pick(_CLOTH_COLORS) if rng.random() < 0.5 else any_color(0.8, (0.1, 0.95))), 0
        if rng.random() < 0.35:
            pattern = pick(["stripes", "dots", "checks", "print", "print"])
    else:
        color, pleats = pick(_N95_COLORS), 0
    return MaskStyle(
        kind=kind,
        # brightness varies more than hue: a dark mask with per-channel jitter turns olive or purple
        color=tuple(int(np.clip(c * b + rng.normal(0, 3), 0, 255)) for c, b in zip(color, [rng.uniform(0.85, 1.1)] * 3)),
        pattern=pattern,
        pattern_color=pattern_color,
        pleats=pleats,
        nose_covered=bool(rng.random() < 0.85),
        top=float(rng.uniform(0.0, 1.0)),
        chin=float(rng.uniform(0.05, 0.4)),
        width=float(rng.uniform(0.9, 1.1)),
        seam=bool(rng.random() < 0.6),
        loops=bool(rng.random() < 0.45),
        valve=bool(kind != "surgical" and rng.random() < (0.4 if kind == "n95" else 0.15)),
        shading=float(rng.uniform(0.6, 1.4)),
        noise=float(rng.uniform(1.5, 5.0)),
    )


# The masked templates stored at enrollment: fixed looks, so every person gets the same set.
# A light surgical mask over the nose, a dark cloth one, and one worn under the nose cover the
# three ways a mask changes the face for the embedder (pale lower face, dark lower face, nose visible).
ENROLLMENT_STYLES: dict[str, MaskStyle] = {
    "surgical": MaskStyle(kind="surgical", color=_SURGICAL_COLORS[0], pleats=3, nose_covered=True, top=0.6),
    "cloth": MaskStyle(kind="cloth", color=_CLOTH_COLORS[0], pleats=0, nose_covered=True, top=0.5, loops=False),
    "surgical-nose-out": MaskStyle(kind="surgical", color=_SURGICAL_COLORS[2], pleats=3, nose_covered=False),
}


@dataclass(frozen=True, slots=True)
class _Geometry:
    """The mask's outline and key lines in template units, from the face's own landmarks."""

    outline: np.ndarray  # (K, 2) closed polygon
    top_center: np.ndarray  # (2,) peak of the top edge (nose)
    chin: np.ndarray  # (2,) lowest point
    left_top: np.ndarray
    right_top: np.ndarray
    left_bottom: np.ndarray
    right_bottom: np.ndarray
    height: float  # eye-to-mouth distance


def _chaikin(points: np.ndarray, iterations: int) -> np.ndarray:
    """Round a closed polygon's corners by corner cutting."""
    for _ in range(iterations):
        nxt = np.roll(points, -1, axis=0)
        points = np.stack([0.75 * points + 0.25 * nxt, 0.25 * points + 0.75 * nxt], 1).reshape(-1, 2)
    return points


def _geometry(lm: np.ndarray, style: MaskStyle) -> _Geometry:
    le, re, nose, lmo, rmo = lm.astype(np.float64)
    eye_y = (le[1] + re[1]) / 2
    mouth = (lmo + rmo) / 2
    height = max(mouth[1] - eye_y, 10.0)
    # Half reaches towards each ear from the nose: these shrink on the side the head turns away.
    span = max(re[0] - le[0], 10.0)
    dl = float(np.clip(nose[0] - le[0], 0.2 * span, 0.8 * span))
    dr = float(np.clip(re[0] - nose[0], 0.2 * span, 0.8 * span))
    # Real masks reach almost to the ears and sit high on the nose (../shared/data/masked-real).
    reach = {"surgical": 2.45, "cloth": 2.35, "n95": 2.1}[style.kind] * style.width

    if style.nose_covered:
        # From just above the nose tip (top=0) up to the bridge, which stays below the eyes.
        top_y = nose[1] - (0.2 + 0.55 * style.top) * (nose[1] - eye_y)
    else:
        top_y = nose[1] + 0.12 * (mouth[1] - nose[1])
    # The top edge drops from the nose towards the cheeks, and never rises to the lower eyelids.
    drop = {"surgical": 0.12, "cloth": 0.22, "n95": 0.25}[style.kind]
    side_top_y = max(top_y + drop * height, eye_y + 0.35 * height)
    chin_y = mouth[1] + (0.7 + 0.5 * style.chin) * height
    chin_x = mouth[0] + 0.4 * (mouth[0] - nose[0])
    bottom_y = mouth[1] + {"surgical": 0.3, "cloth": 0.2, "n95": 0.1}[style.kind] * height
    bottom_reach = {"surgical": 0.9, "cloth": 0.85, "n95": 0.8}[style.kind]
    top_power = {"surgical": 2.5, "cloth": 1.6, "n95": 1.3}[style.kind]
    bottom_power = {"surgical": 2.6, "cloth": 1.8, "n95": 1.6}[style.kind]

    t = np.linspace(-1.0, 1.0, 41)
    half_top = np.where(t < 0, dl, dr) * reach
    top = np.stack([nose[0] + t * half_top, top_y + (side_top_y - top_y) * np.abs(t) ** top_power], 1)
    # Only the nose wire rises between the eyes; beside it the edge stays under the lower eyelids.
    beside_nose = np.abs(top[:, 0] - nose[0]) > 0.25 * span
    top[:, 1] = np.where(beside_nose, np.maximum(top[:, 1], eye_y + 0.22 * height), top[:, 1])
    half_bottom = np.where(t < 0, dl, dr) * reach * bottom_reach
    tb = t[::-1]
    hb = half_bottom[::-1]
    bottom = np.stack([chin_x + tb * hb, bottom_y + (chin_y - bottom_y) * (1 - np.abs(tb) ** bottom_power)], 1)
    outline = np.concatenate([top, bottom])
    smooth = {"surgical": 1, "cloth": 2, "n95": 3}[style.kind]
    return _Geometry(
        outline=_chaikin(outline, smooth),
        top_center=np.array([nose[0], top_y]),
        chin=np.array([chin_x, chin_y]),
        left_top=top[0],
        right_top=top[-1],
        left_bottom=bottom[-1],
        right_bottom=bottom[0],
        height=height,
    )


def mask_outline(landmarks: np.ndarray, style: MaskStyle | None = None) -> np.ndarray:
    """The mask's outline in image coordinates, (K, 2) float32, for this face and style."""
    style = style or MaskStyle()
    to_image = similarity_transform(ARCFACE_TEMPLATE, landmarks)
    canon = _to_template(landmarks, to_image)
    outline = _geometry(canon, style).outline
    return transform_points(outline, to_image).astype(np.float32)


def _to_template(landmarks: np.ndarray, to_image: np.ndarray) -> np.ndarray:
    inv = cv2.invertAffineTransform(to_image)
    return transform_points(np.asarray(landmarks, np.float64), inv)


def _pattern(style: MaskStyle, u: np.ndarray, v: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """1 where the print's second colour shows, from template coordinates u, v."""
    if style.pattern == "print":
        grid = rng.normal(0.0, 1.0, (int(rng.integers(6, 24)), int(rng.integers(6, 24)))).astype(np.float32)
        field = cv2.resize(grid, (u.shape[1], u.shape[0]), interpolation=cv2.INTER_CUBIC)
        return np.clip((field - rng.uniform(0.2, 1.0)) * 3, 0, 1)
    if style.pattern == "stripes":
        return (np.sin(v * 2 * np.pi / 5.0) > 0.3).astype(np.float32)
    if style.pattern == "dots":
        du = (u % 6.0) - 3.0
        dv = ((v + 3.0 * (np.floor(u / 6.0) % 2)) % 6.0) - 3.0
        return np.clip(1.6 - np.hypot(du, dv), 0, 1).astype(np.float32)
    if style.pattern == "checks":
        return ((np.floor(u / 4.0) + np.floor(v / 4.0)) % 2).astype(np.float32)
    return np.zeros_like(u, np.float32)


def _render(geo: _Geometry, style: MaskStyle, res: float, rng: np.random.Generator) -> np.ndarray:
    """The mask as a (H, W, 4) float32 BGRA patch over the canonical canvas, `res` pixels per unit."""
    w, h = int(np.ceil(_CANVAS_W * res)), int(np.ceil(_CANVAS_H * res))

    def px(p: np.ndarray) -> np.ndarray:
        return (np.asarray(p, np.float64) - (_CANVAS_X0, _CANVAS_Y0)) * res

    shift = 4  # sub-pixel precision for the polygon fill
    alpha8 = np.zeros((h, w), np.uint8)  # anti-aliased filling works on 8-bit images only
    cv2.fillPoly(alpha8, [np.round(px(geo.outline) * (1 << shift)).astype(np.int32)], 255, cv2.LINE_AA, shift)
    alpha = alpha8.astype(np.float32) / 255

    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    u = xs / res + _CANVAS_X0  # template coordinates of every canvas pixel
    v = ys / res + _CANVAS_Y0
    cx = geo.top_center[0] + (geo.chin[0] - geo.top_center[0]) * np.clip(
        (v - geo.top_center[1]) / (geo.chin[1] - geo.top_center[1]), 0, 1
    )
    half = np.where(u < cx, cx - geo.left_top[0], geo.right_top[0] - cx)
    across = np.clip((u - cx) / np.maximum(half, 1.0), -1.2, 1.2)  # -1 left edge .. +1 right edge
    down = np.clip((v - geo.top_center[1]) / (geo.chin[1] - geo.top_center[1]), 0, 1.2)  # 0 top, 1 chin

    # Curvature: the cheeks and the part under the chin turn away from the light above.
    k = style.shading
    if style.kind == "n95":
        r2 = across**2 + ((down - 0.45) / 0.6) ** 2
        shade = 1.05 - 0.3 * k * r2
    else:
        shade = 1.05 - 0.35 * k * np.abs(across) ** 2.5 - 0.25 * k * np.clip(down - 0.6, 0, None) / 0.4
        # the nose ridge catches the light, the sides of the nose leave a soft shadow
        shade += 0.06 * k * np.exp(-((across * 6) ** 2)) * np.clip(1 - 2.5 * down, 0, 1)

    color = np.broadcast_to(np.asarray(style.color, np.float32), (h, w, 3)).copy()
    if style.pattern != "none":
        p = _pattern(style, u - geo.top_center[0], v - geo.top_center[1], rng)[..., None]
        color = color * (1 - p) + np.asarray(style.pattern_color, np.float32) * p

    line = 0.8 / res  # half a line width in template units
    if style.kind == "surgical":
        # Pleats: a lit fold edge above a shadow band, running across the mask, bowed like the mask.
        span_v = geo.chin[1] - geo.top_center[1]
        for i in range(style.pleats):
            y0 = geo.top_center[1] + span_v * (0.3 + 0.45 * i / max(style.pleats - 1, 1))
            yc = y0 + 0.1 * span_v * across**2
            d = v - yc
            shade = shade - 0.16 * np.exp(-((d / 1.2) ** 2)) * (d > 0) + 0.08 * np.exp(-((d / 1.5) ** 2)) * (d <= 0)
        # stitched hems along the top and bottom edges
        edge = cv2.distanceTransform((alpha > 0.5).astype(np.uint8), cv2.DIST_L2, 3) / res
        shade = shade - 0.07 * ((edge > 1.4) & (edge < 1.4 + max(line, 0.35)))
    elif style.seam:
        # centre seam of a shaped mask
        seam = np.exp(-(((u - cx) / max(line, 0.4)) ** 2))
        shade = shade - (0.12 if style.kind == "cloth" else 0.06) * seam

    # creases: a smooth random field, a few bumps across the mask
    bumps = cv2.resize(rng.normal(0.0, 1.0, (5, 7)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    shade = shade * (1 + 0.04 * k * bumps)
    color *= shade[..., None]
    if style.valve:
        vc = px(geo.top_center + np.array([0.55 * (geo.right_top[0] - geo.top_center[0]), 0.55 * geo.height]))
        rad = max(0.13 * geo.height * res, 1.5)
        valve_color = tuple(float(c) * 0.8 for c in (style.color if style.kind != "n95" else (150, 150, 150)))
        cv2.circle(color, tuple(int(c) for c in np.round(vc)), int(round(rad)), valve_color, -1, cv2.LINE_AA)
        cv2.circle(color, tuple(int(c) for c in np.round(vc)), int(round(rad)), tuple(c * 0.6 for c in valve_color),
                   max(1, int(round(0.25 * res))), cv2.LINE_AA)
    color += rng.normal(0.0, style.noise, (h, w, 1)).astype(np.float32)
    patch = np.dstack([color, alpha])

    if style.loops:
        # Ear loops from the corners towards where the ears are.
        loop_color = (235.0, 235.0, 235.0) if style.kind == "surgical" else tuple(float(c) for c in style.color)
        thickness = max(1, int(round(0.9 * res)))
        for top, bottom, sign in ((geo.left_top, geo.left_bottom, -1), (geo.right_top, geo.right_bottom, 1)):
            ear = np.array([top[0] + sign * 0.18 * geo.height, geo.top_center[1] - 0.05 * geo.height])
            for corner in (top, bottom):
                pts = px(np.stack([corner, (corner + ear) / 2 + (sign * 1.5, 0), ear]))
                cv2.polylines(patch, [np.round(pts).astype(np.int32)], False, (*loop_color, 0.9), thickness,
                              cv2.LINE_AA)
    return patch


def draw_mask(
    image_bgr: np.ndarray,
    landmarks: np.ndarray,
    style: MaskStyle | None = None,
    rng: np.random.Generator | int | None = None,
) -> np.ndarray:
    """A copy of the image with a synthetic mask on the face with these five landmarks (image coords).

    `style=None` draws a random style from `rng`; the result is deterministic for a given seed.
    """
    rng = np.random.default_rng(rng)
    style = style or random_style(rng)
    to_image = similarity_transform(ARCFACE_TEMPLATE, landmarks)
    geo = _geometry(_to_template(landmarks, to_image), style)
    scale = float(np.sqrt(abs(np.linalg.det(to_image[:, :2].astype(np.float64)))))
    res = float(np.clip(scale, _MIN_RES, _MAX_RES))
    patch = _render(geo, style, res, rng)

    # canvas pixel -> template -> image
    canvas_to_template = np.array([[1 / res, 0, _CANVAS_X0], [0, 1 / res, _CANVAS_Y0], [0, 0, 1]])
    matrix = to_image.astype(np.float64) @ canvas_to_template
    ph, pw = patch.shape[:2]
    corners = transform_points(np.array([[0, 0], [pw, 0], [0, ph], [pw, ph]], np.float64), matrix)
    ih, iw = image_bgr.shape[:2]
    x0, y0 = np.floor(corners.min(0)).astype(int).clip(0, (iw, ih))
    x1, y1 = np.ceil(corners.max(0)).astype(int).clip(0, (iw, ih))
    out = image_bgr.copy()
    if x1 <= x0 or y1 <= y0:
        return out
    matrix[:, 2] -= (x0, y0)
    warped = cv2.warpAffine(patch, matrix[:2], (x1 - x0, y1 - y0), flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    region = out[y0:y1, x0:x1].astype(np.float32)

    # Match the scene: a mask in a dim photo is dim, and takes on a little of the light's colour.
    a = warped[..., 3:4]
    face = region[a[..., 0] < 0.05]
    if len(face):
        mean = face.mean(0)
        gain = np.clip(0.45 + 0.55 * mean.mean() / 130.0, 0.45, 1.1)
        tint = 0.9 + 0.1 * mean / max(mean.mean(), 1.0)
        warped[..., :3] *= gain * tint

    # A soft shadow on the neck below the mask's lower edge (only there: the light comes from above).
    soft = cv2.GaussianBlur(a[..., 0], (0, 0), max(0.04 * geo.height * scale, 0.6))
    drop = max(1, int(round(0.04 * geo.height * scale)))
    below = np.zeros_like(soft)
    below[drop:] = soft[:-drop]
    shadow = np.clip(below - soft, 0, 1)[..., None]
    region *= 1 - 0.6 * shadow * (1 - a)
    region = region * (1 - a) + warped[..., :3] * a
    out[y0:y1, x0:x1] = np.clip(region + 0.5, 0, 255).astype(np.uint8)
    return out


def draw_mask_aligned(
    aligned_bgr: np.ndarray, style: MaskStyle | None = None, rng: np.random.Generator | int | None = None
) -> np.ndarray:
    """The same on a 112x112 crop aligned to the ArcFace template (any size with that template)."""
    size = aligned_bgr.shape[0]
    return draw_mask(aligned_bgr, ARCFACE_TEMPLATE * (size / 112.0), style, rng)
