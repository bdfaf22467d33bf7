"""Open-set 1:N identification (`faceapp eval openset`): is a stranger named, is an enrolled person missed?

Measured in NIST FRVT's terms at a gallery size N: FPIR, the share of strangers (people not enrolled)
named as someone, and FNIR, the share of enrolled people's other photos not named or misnamed.

Protocol (docs/benchmarks.md, open-set section). LFW's people are split once, by a hash of the name:
- gallery: people with 2+ photos; each enrolled from one photo (the first that passes the app's
  enrollment gates, as an admin would retry) or from three, through the enrollment path, which adds
  the masked templates; genuine probes are their other photos;
- strangers: the other people with 2+ photos and half of the one-photo people, one photo each;
- development: the other half of the one-photo people, never enrolled nor probed: the mask adapter is
  fitted on them here (the shipped one has seen all of LFW) and score normalisation draws its cohort
  from them.
Probe kinds: unmasked; masked by the app's renderer (faceapp.vision.masks, random styles); masked by
a second renderer that enrollment never uses (faceapp.eval.other_masks); and, strangers only, the
real masked faces of masked-real (every face of 60 px or more).

Every photo goes once through the pipeline to aligned crops (cached on disk per image, keyed by the
models and the pipeline's code), then through each embedder (cached per embedder sha): comparing
scoring strategies and embedders costs seconds after the first pass.
"""

from __future__ import annotations

import hashlib
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faceapp.resources import resources_dir
from faceapp.vision.imageio import ImageError, load_image

# The crop kinds stored per photo. Enrollment: the enrolled face and its masked templates.
PLAIN, MASKED_APP, MASKED_OTHER = "plain", "masked_app", "masked_other"
ENROLL = "enroll"
REAL = "real"  # masked-real faces: real0, real1, ...
REAL_MIN_FACE = 60.0  # px: smaller real masked faces are crowd faces no door camera sees this small

# Code that draws what the crops show: a change there invalidates the cache. A change elsewhere
# that alters crops (detection, gates) must bump CROPS_VERSION; refactors need not recompute hours.
_PIPELINE_SOURCES = ("vision/align.py", "vision/masks.py", "eval/other_masks.py")
_PIPELINE_MODELS = ("pnet.onnx", "rnet.onnx", "onet.onnx", "blazeface.onnx", "face_landmark.onnx",
                    "mask_classifier.onnx")
CROPS_VERSION = 1  # bump when what is stored per photo changes


def pipeline_key() -> str:
    """Hash of everything the crops depend on: model files, detector/quality/mask settings, code."""
    from faceapp import config

    h = hashlib.sha256(f"v{CROPS_VERSION}".encode())
    models = resources_dir() / "models"
    for name in _PIPELINE_MODELS:
        h.update(hashlib.sha256((models / name).read_bytes()).digest())
    pkg = Path(__file__).resolve().parents[1]
    for rel in _PIPELINE_SOURCES:
        h.update((pkg / rel).read_bytes())
    h.update(repr((config.DETECTOR, config.QUALITY, config.THRESHOLDS.mask_probability)).encode())
    return h.hexdigest()[:16]


def default_cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("faceapp", appauthor=False)) / "openset"


def _seed(rel: str) -> int:
    return zlib.crc32(rel.encode())


@dataclass(slots=True)
class PhotoCrops:
    """One photo through the pipeline: aligned crops by kind, the mask check's score of each (NaN:
    not checked), and why the photo cannot be enrolled ('' when it passes the gates)."""

    kinds: list[str]
    crops: np.ndarray  # (K, 112, 112, 3) uint8 BGR
    mask_scores: np.ndarray  # (K,)
    enroll_problem: str = ""

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, kinds=np.array(self.kinds), crops=self.crops, mask_scores=self.mask_scores,
                            enroll_problem=np.array(self.enroll_problem))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> PhotoCrops:
        with np.load(path) as f:
            return cls([str(k) for k in f["kinds"]], f["crops"], f["mask_scores"], str(f["enroll_problem"]))


class _Builder:
    def __init__(self):
        self.kinds, self.crops, self.scores = [], [], []

    def add(self, kind: str, crop: np.ndarray, score: float = np.nan) -> None:
        self.kinds.append(kind)
        self.crops.append(crop)
        self.scores.append(score)

    def done(self, problem: str = "") -> PhotoCrops:
        crops = np.stack(self.crops) if self.crops else np.zeros((0, 112, 112, 3), np.uint8)
        return PhotoCrops(self.kinds, crops, np.array(self.scores, np.float32), problem)


class CropMaker:
    """The app's own paths from a photo to aligned crops: the enrollment path (gates, masked
    templates) and the live path (main face, mask check, mesh alignment when masked)."""

    def __init__(self, engine):
        from faceapp.recognition.enroll import Enroller
        from faceapp.storage.gallery import Gallery

        self.engine = engine
        self._tmp = tempfile.TemporaryDirectory(prefix="faceapp-openset-")
        self.enroller = Enroller(engine, Gallery(Path(self._tmp.name) / "g.db"))  # its gates and variants only

    def _probe(self, image: np.ndarray, det) -> tuple[np.ndarray, float]:
        face = self.engine.analyze(image, [det], eyes=False, embed=False)[0]
        return face.aligned, float(face.mask_score if face.mask_score is not None else np.nan)

    def probe_photo(self, image: np.ndarray, source: str) -> PhotoCrops:
        """The photo as the door camera sees it: as it is and under each renderer's mask."""
        from faceapp.eval.other_masks import draw_other_mask
        from faceapp.eval.verification import main_face
        from faceapp.vision import masks

        out = _Builder()
        seed = _seed(source)
        det = main_face(self.engine.detect(image), image.shape)
        if det is None:
            return out.done("no face found")
        out.add(PLAIN, *self._probe(image, det))
        for kind, drawn in ((MASKED_APP, masks.draw_mask(image, det.landmarks, masks.random_style(seed), seed)),
                            (MASKED_OTHER, draw_other_mask(image, det, seed))):
            again = self.engine.redetect(drawn, det)
            if again is not None:  # a mask that hides the face from the detector: no probe
                out.add(kind, *self._probe(drawn, again))
        return out.done()

    def enroll_photo(self, image: np.ndarray, source: str) -> PhotoCrops:
        """The photo through the enrollment gates, and the masked templates enrollment stores."""
        from faceapp.recognition.enroll import Checked

        out = _Builder()
        got = self.enroller.check(image, source, allow_largest=True)
        if not isinstance(got, Checked):
            return out.done(got.reason)
        out.add(ENROLL, got.face.aligned, float(got.face.mask_score))
        if not got.face.masked:
            self.enroller._variants(image, got, seed=_seed(source))
            for kind, crop in got.variants:
                out.add(f"{ENROLL}-{kind}", crop)
        return out.done()

    def real_photo(self, image: np.ndarray) -> PhotoCrops:
        """Every face of REAL_MIN_FACE px or more, as the live pipeline sees it."""
        out = _Builder()
        for i, det in enumerate(d for d in self.engine.detect(image) if d.size >= REAL_MIN_FACE):
            out.add(f"{REAL}{i}", *self._probe(image, det))
        return out.done()


def _cache_name(rel: str) -> str:
    return rel.replace("/", "__").rsplit(".", 1)[0] + ".npz"


PARTS = ("probe", "enroll", "real")


def photo_crops(maker, photos: list[tuple[str, Path]], cache_dir: Path, part: str,
                progress: Callable[[int, int], None] | None = None) -> dict[str, PhotoCrops]:
    """{rel: PhotoCrops} of one part (PARTS) for (rel, path) photos, from the cache where it has them.
    maker: a CropMaker, or a function returning one (called only if a photo is not cached)."""
    folder = Path(cache_dir) / f"crops-{pipeline_key()}"
    (folder / part).mkdir(parents=True, exist_ok=True)
    out = {}
    for i, (rel, path) in enumerate(photos):
        file = folder / part / _cache_name(rel)
        if file.exists():
            out[rel] = PhotoCrops.load(file)
        else:
            maker = maker() if callable(maker) else maker
            try:
                image = load_image(path)
            except ImageError:
                out[rel] = _Builder().done("unreadable")
            else:
                make = {"probe": maker.probe_photo, "enroll": maker.enroll_photo, "real": lambda im, _: maker.real_photo(im)}
                out[rel] = make[part](image, rel)
            out[rel].save(file)
        if progress:
            progress(i + 1, len(photos))
    return out


def lfw_photos(lfw_dir: Path) -> list[tuple[str, Path]]:
    images = Path(lfw_dir) / "images"
    return [(str(p.relative_to(images)), p) for p in sorted(images.glob("*/*.jpg"))]


def real_photos(folder: Path) -> list[tuple[str, Path]]:
    from faceapp.eval.verification import sample_photos

    return [(str(p.relative_to(folder)), p) for p in sample_photos(folder)]


def _order(name: str) -> str:
    """A fixed pseudo-random order of people (not alphabetical: LFW's names cluster by country)."""
    return hashlib.sha1(name.encode()).hexdigest()


@dataclass(slots=True)
class Split:
    """Who plays which part (the module docstring): rel photo paths per person."""

    gallery_pool: dict[str, list[str]]  # people with 2+ photos, tried for the gallery in this order
    probes: dict[str, list[str]]  # each gallery-pool person's genuine probes (never enrolled)
    candidates: dict[str, list[str]]  # each gallery-pool person's enrollment candidates, in order
    strangers: list[str]  # one photo per stranger
    stranger_more: dict[str, str]  # a second photo of the strangers who have one (multi-frame evidence)
    development: list[str]  # adapter fit and normalisation cohort


def split_people(photos: list[str], *, gallery_pool: int = 1200, strangers: int = 1100, development: int = 300) -> Split:
    """Split LFW's people: probes are a person's last photo (last two with 5+ photos), the rest
    enrollment candidates; strangers are the multi-photo people after the pool, then one-photo people."""
    people: dict[str, list[str]] = {}
    for rel in sorted(photos):
        people.setdefault(rel.split("/")[0], []).append(rel)
    names = sorted(people, key=_order)
    multi = [n for n in names if len(people[n]) >= 2]
    single = [n for n in names if len(people[n]) == 1]
    pool = {n: people[n] for n in multi[:gallery_pool]}
    probes = {n: p[-2:] if len(p) >= 5 else p[-1:] for n, p in pool.items()}
    candidates = {n: p[: len(p) - len(probes[n])] for n, p in pool.items()}
    stranger_names = (multi[gallery_pool:] + single)[:strangers]
    dev_names = [n for n in single if n not in set(stranger_names)][:development]
    return Split(pool, probes, candidates, [people[n][0] for n in stranger_names],
                 {people[n][0]: people[n][1] for n in stranger_names if len(people[n]) > 1},
                 [people[n][0] for n in dev_names])


def prepare(engine, lfw_dir: Path, real_dir: Path | None, cache_dir: Path, split: Split, *, n_max: int = 1000,
            three_max: int = 400, progress: Callable[[str, int, int], None] | None = None) -> dict[str, dict[str, PhotoCrops]]:
    """Every crop the evaluation needs, most important first (a cut-short first run leaves a useful
    cache): enrollment tries until n_max people are enrolled, their probes, strangers, development
    photos, real masked faces, then the extra enrollment photos of the three-photo gallery."""
    images = Path(lfw_dir) / "images"
    made: list[CropMaker] = []

    def make() -> CropMaker:  # models are loaded only if some photo is not cached
        if not made:
            made.append(CropMaker(engine() if callable(engine) else engine))
        return made[0]

    def get(rels, part, what, folder=images):
        return photo_crops(make, [(r, folder / r) for r in rels], cache_dir, part,
                           (lambda d, t: progress(what, d, t)) if progress else None)

    enroll: dict[str, PhotoCrops] = {}

    def enroll_people(names, photos: int, most: int, what: str) -> None:
        """Try each person's candidates in order until `photos` pass, until `most` people are enrolled."""
        enrolled = 0
        for name in names:
            if enrolled >= most:
                break
            passed = 0
            for rel in split.candidates[name]:
                enroll.update(get([rel], "enroll", what))
                passed += not enroll[rel].enroll_problem
                if passed == photos:
                    enrolled += 1
                    break
            if progress:
                progress(what, enrolled, most)

    enroll_people(split.candidates, 1, n_max, "gallery")
    tried = [n for n in split.candidates if any(r in enroll for r in split.candidates[n])]
    out = {"enroll": enroll,
           "probe": get([r for n in tried for r in split.probes[n]], "probe", "genuine probes")}
    out["probe"].update(get(split.strangers, "probe", "strangers"))
    out["probe"].update(get(split.development, "probe", "development"))
    out["enroll"].update(get(split.development, "enroll", "development"))
    out["real"] = get([r for r, _ in real_photos(real_dir)], "real", "masked-real", Path(real_dir)) if real_dir else {}
    enroll_people([n for n in tried if len(split.candidates[n]) >= 3], 3, three_max, "three-photo gallery")
    return out


# --- embeddings --------------------------------------------------------------------------------------

Crops = dict[str, dict[str, PhotoCrops]]  # part -> rel -> crops
Vectors = dict[str, dict[str, np.ndarray]]  # part -> rel -> (K, D), rows as PhotoCrops.kinds


# Crops per onnxruntime run: activations grow with the batch (SFace: ~3 MB per crop per layer).
EMBED_BATCH = 32
EMBED_PHOTOS = 256  # photos gathered per round


def embed_crops(crops: Crops, embedder, cache_dir: Path) -> Vectors:
    """Every crop through one embedder, cached on disk per embedder weights and pipeline."""
    from faceapp.recognition.model_versions import file_sha256

    file = Path(cache_dir) / f"emb-{pipeline_key()}-{file_sha256(embedder.path)[:16]}.npz"
    cached: dict[str, np.ndarray] = {}
    if file.exists():
        with np.load(file) as f:
            cached = {k: f[k] for k in f.files}
    out: Vectors = {}
    missing = []
    for part, photos in crops.items():
        out[part] = {}
        for rel, pc in photos.items():
            key = f"{part}|{rel}"
            if key in cached and len(cached[key]) == len(pc.kinds):
                out[part][rel] = cached[key]
            else:
                missing.append((part, rel, pc))
    for i in range(0, len(missing), EMBED_PHOTOS):
        batch = missing[i:i + EMBED_PHOTOS]
        stacked = np.concatenate([pc.crops for _, _, pc in batch]) if batch else np.zeros((0, 112, 112, 3), np.uint8)
        vecs = np.concatenate([embedder.embed(stacked[j:j + EMBED_BATCH]) for j in range(0, len(stacked), EMBED_BATCH)]
                              or [np.zeros((0, embedder.dim), np.float32)])
        at = 0
        for part, rel, pc in batch:
            out[part][rel] = cached[f"{part}|{rel}"] = vecs[at:at + len(pc.kinds)].reshape(len(pc.kinds), embedder.dim)
            at += len(pc.kinds)
    if missing:
        tmp = file.with_suffix(".tmp.npz")
        np.savez(tmp, **cached)
        tmp.replace(file)
    return out


def fuse(*vectors: Vectors) -> Vectors:
    """Embeddings side by side, each unit-length, scaled by 1/sqrt(count): their cosine is the mean of
    the embedders' cosines, so the fusion needs no change in the search."""
    k = np.sqrt(len(vectors))
    return {part: {rel: np.concatenate([v[part][rel] for v in vectors], axis=1) / k for rel in vectors[0][part]}
            for part in vectors[0]}


def _row(crops: Crops, vectors: Vectors, part: str, rel: str, kind: str) -> tuple[np.ndarray, float] | None:
    pc = crops[part].get(rel)
    if pc is None or kind not in pc.kinds:
        return None
    i = pc.kinds.index(kind)
    return vectors[part][rel][i], float(pc.mask_scores[i])


# --- galleries and probes ------------------------------------------------------------------------------

@dataclass(slots=True)
class Gallery:
    """Enrolled templates as the app's search holds them: plain rows raw, masked rows through the
    mask adapter (faceapp.recognition.search.EmbeddingIndex); one person = a run of rows."""

    names: list[str]
    vectors: np.ndarray  # (R, D) unit rows
    person: np.ndarray  # (R,) index into names
    masked: np.ndarray  # (R,) bool: a masked template
    adapter: object | None = None

    def person_scores(self, probes: np.ndarray, masked_probe: np.ndarray) -> np.ndarray:
        """(P, N) each probe's best score per person, as Recognizer scores it: unmasked probes meet
        plain templates only; masked probes (adapted) meet every template."""
        from faceapp.recognition.search import NO_SCORE

        n = len(self.names)
        out = np.full((len(probes), n), NO_SCORE, np.float32)
        rows = self.vectors.copy()
        if self.adapter is not None and self.masked.any():
            rows[self.masked] = self.adapter.apply(rows[self.masked])
        for state in (False, True):
            which = np.flatnonzero(masked_probe == state)
            if not len(which):
                continue
            q = probes[which]
            if state and self.adapter is not None:
                q = self.adapter.apply(q)
            use = np.ones(len(rows), bool) if state else ~self.masked
            sims = q @ rows[use].T
            owner = self.person[use]
            best = np.full((len(which), n), NO_SCORE, np.float32)
            for j in np.unique(owner):
                best[:, j] = sims[:, owner == j].max(1)
            out[which] = best
        return out


def build_gallery(split: Split, crops: Crops, vectors: Vectors, n: int, photos: int, adapter=None) -> tuple[Gallery, list[str]]:
    """The first n people of the pool with `photos` photos that pass the enrollment gates (computed),
    each enrolled with them and their masked templates. Also returns the enrolled photos."""
    names, vecs, person, masked, used = [], [], [], [], []
    for name, cands in split.candidates.items():
        if len(names) == n:
            break
        ok = [r for r in cands if r in crops["enroll"] and not crops["enroll"][r].enroll_problem][:photos]
        if len(ok) < photos:
            continue
        for rel in ok:
            pc = crops["enroll"][rel]
            for kind, v in zip(pc.kinds, vectors["enroll"][rel]):
                vecs.append(v)
                person.append(len(names))
                masked.append(kind != ENROLL)
            used.append(rel)
        names.append(name)
    if len(names) < n:
        raise ValueError(f"only {len(names)} people could be enrolled with {photos} photo(s) each, not {n}")
    return Gallery(names, np.array(vecs, np.float32), np.array(person), np.array(masked), adapter), used


@dataclass(slots=True)
class Probes:
    """One probe set of one kind: per probe the gallery index of its owner (-1: a stranger) and
    the embedding, or no embedding when the pipeline found no face (never named)."""

    truth: np.ndarray  # (P,)
    vectors: np.ndarray  # (P, D), zero rows where no face
    found: np.ndarray  # (P,) bool
    masked: np.ndarray  # (P,) bool: the mask check called it masked
    group: np.ndarray  # (P,) person key, for multi-photo evidence


def probe_set(items: list[tuple[int, str, str]], crops: Crops, vectors: Vectors, kind: str, dim: int) -> Probes:
    """items: (owner index or -1, part, rel); kind: PLAIN, MASKED_APP, MASKED_OTHER, or REAL (every face)."""
    from faceapp.config import THRESHOLDS

    truth, vecs, found, masked, group = [], [], [], [], []
    for owner, part, rel in items:
        pc = crops[part].get(rel)
        if kind == REAL:  # every face found is a probe; a photo without one is none
            kinds = [k for k in (pc.kinds if pc else []) if k.startswith(REAL)]
        else:
            kinds = [kind]
        for k in kinds:
            got = _row(crops, vectors, part, rel, k)
            truth.append(owner)
            group.append(rel.split("/")[0])
            found.append(got is not None)
            vecs.append(got[0] if got else np.zeros(dim, np.float32))
            masked.append(got is not None and got[1] >= THRESHOLDS.mask_probability)
    return Probes(np.array(truth, np.int64), np.array(vecs, np.float32).reshape(-1, dim), np.array(found, bool),
                  np.array(masked, bool), np.array(group, str))


# --- decisions and rates -------------------------------------------------------------------------------

@dataclass(slots=True)
class Ranked:
    """Per probe: the best person's score and index, and its margin over the runner-up."""

    top: np.ndarray
    who: np.ndarray
    margin: np.ndarray
    probes: Probes

    @classmethod
    def of(cls, scores: np.ndarray, probes: Probes) -> Ranked:
        from faceapp.recognition.search import NO_SCORE

        if scores.shape[1] < 2:
            scores = np.concatenate([scores, np.full((len(scores), 2 - scores.shape[1]), NO_SCORE, np.float32)], 1)
        part = np.partition(scores, -2, axis=1)
        top = part[:, -1].copy()
        top[~probes.found] = -np.inf  # no face: never named
        return cls(top, scores.argmax(1), part[:, -1] - part[:, -2], probes)

    def named(self, threshold: float | np.ndarray, margin: float) -> np.ndarray:
        return (self.top >= threshold) & (self.margin >= margin)

    def subset(self, keep: np.ndarray) -> Ranked:
        p = self.probes
        return Ranked(self.top[keep], self.who[keep], self.margin[keep],
                      Probes(p.truth[keep], p.vectors[keep], p.found[keep], p.masked[keep], p.group[keep]))


def fpir(strangers: Ranked, threshold, margin: float) -> float:
    return float(strangers.named(threshold, margin).mean()) if len(strangers.top) else float("nan")


def fnir(genuine: Ranked, threshold, margin: float) -> float:
    hit = genuine.named(threshold, margin) & (genuine.who == genuine.probes.truth)
    return float(1.0 - hit.mean()) if len(genuine.top) else float("nan")


def threshold_at_fpir(strangers: Ranked, target: float, margin: float) -> float:
    """The lowest threshold whose FPIR is at most `target` (ties broken upward)."""
    eligible = np.sort(strangers.top[(strangers.margin >= margin) & np.isfinite(strangers.top)])[::-1]
    allowed = int(np.floor(target * len(strangers.top)))
    return float(np.nextafter(np.float32(eligible[allowed]), np.float32(np.inf))) if allowed < len(eligible) else -1.0


def det_curve(genuine: Ranked, strangers: Ranked, margin: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """(FPIR, FNIR) at every threshold that changes FPIR, FPIR descending."""
    ts = np.unique(strangers.top[np.isfinite(strangers.top)])
    ts = np.append(ts, np.nextafter(np.float32(ts.max()), np.float32(np.inf))) if len(ts) else ts
    return (np.array([fpir(strangers, t, margin) for t in ts]), np.array([fnir(genuine, t, margin) for t in ts]))


# --- score normalisation against a cohort of strangers ---------------------------------------------------

@dataclass(slots=True)
class Cohort:
    """Impostor statistics from people who are neither enrolled nor probed (the development split).
    Z-norm: each enrolled person's scores against cohort probes; T-norm: each probe's scores
    against a cohort gallery; S-norm: the mean of both."""

    z_mean: dict[bool, np.ndarray]  # by probe mask state: (N,)
    z_std: dict[bool, np.ndarray]
    gallery: Gallery  # the cohort people enrolled, for T-norm

    @classmethod
    def build(cls, gallery: Gallery, cohort_gallery: Gallery, cohort_probes: dict[bool, Probes]) -> Cohort:
        zm, zs = {}, {}
        for state, probes in cohort_probes.items():
            s = gallery.person_scores(probes.vectors[probes.found], np.full(int(probes.found.sum()), state))
            zm[state], zs[state] = s.mean(0), np.maximum(s.std(0), 1e-3)
        return cls(zm, zs, cohort_gallery)

    def normalise(self, scores: np.ndarray, probes: Probes, how: str) -> np.ndarray:
        if how == "none":
            return scores
        z = np.where(probes.masked[:, None], (scores - self.z_mean[True]) / self.z_std[True],
                     (scores - self.z_mean[False]) / self.z_std[False])
        c = self.gallery.person_scores(probes.vectors, probes.masked)
        t = (scores - c.mean(1, keepdims=True)) / np.maximum(c.std(1, keepdims=True), 1e-3)
        return {"z": z, "t": t, "s": (z + t) / 2}[how]


# --- the evaluation -----------------------------------------------------------------------------------------

PROBE_KINDS = (PLAIN, MASKED_APP, MASKED_OTHER)
EMBEDDERS = {"mobilefacenet": "mobilefacenet.onnx", "sface": "sface.onnx"}  # and "fusion": the mean of both cosines
TARGETS = (0.001, 0.01)  # FPIR at which FNIR is reported


def _pct(x: float) -> str:
    return f"{x * 100:g}%"


def kind_report(genuine: Ranked | None, strangers: Ranked, thresholds: tuple[float, float], margin: float) -> dict:
    """FPIR/FNIR at the (unmasked, masked) thresholds a probe's mask state selects, and FNIR at FPIR targets."""
    per_probe = lambda r: np.where(r.probes.masked, thresholds[1], thresholds[0])  # noqa: E731
    out = {"strangers": int(len(strangers.top)), "strangers_no_face": int((~strangers.probes.found).sum()),
           "strangers_called_masked": int(strangers.probes.masked.sum()),
           "fpir": round(fpir(strangers, per_probe(strangers), margin), 4)}
    if genuine is not None:
        out.update({"genuine": int(len(genuine.top)), "genuine_no_face": int((~genuine.probes.found).sum()),
                    "genuine_called_masked": int(genuine.probes.masked.sum()),
                    "fnir": round(fnir(genuine, per_probe(genuine), margin), 4)})
    if thresholds[0] < 0:  # no thresholds given: the counts and the curve's figures
        out.pop("fpir")
        out.pop("fnir", None)
        for target in TARGETS if genuine is not None else ():
            t = threshold_at_fpir(strangers, target, margin)
            out[f"fnir_at_fpir_{_pct(target)}"] = round(fnir(genuine, t, margin), 4)
            out[f"threshold_at_fpir_{_pct(target)}"] = round(t, 4)
    return out


def two_frames(genuine: Ranked, strangers: Ranked, strangers_more: Ranked, margin: float, target: float) -> dict:
    """Multi-frame evidence, simulated with two photos of a person: named only when both name the
    same person above the threshold with the margin. Against one photo on the same people."""
    g_first = np.zeros(len(genuine.top), bool)
    g_second = np.zeros(len(genuine.top), bool)
    groups = genuine.probes.group
    for name in np.unique(groups):
        idx = np.flatnonzero(groups == name)
        if len(idx) >= 2:
            g_first[idx[0]] = g_second[idx[1]] = True
    g1, g2 = genuine.subset(g_first), genuine.subset(g_second)
    s1 = strangers

    def both(a: Ranked, b: Ranked, t: float) -> np.ndarray:
        return a.named(t, margin) & b.named(t, margin) & (a.who == b.who)

    pair_top = np.minimum(np.where(s1.margin >= margin, s1.top, -np.inf),
                          np.where(strangers_more.margin >= margin, strangers_more.top, -np.inf))
    pair_top[s1.who != strangers_more.who] = -np.inf
    ranked_pairs = Ranked(pair_top, s1.who, np.full(len(pair_top), np.inf), s1.probes)
    t2 = threshold_at_fpir(ranked_pairs, target, 0.0)
    t1 = threshold_at_fpir(s1, target, margin)
    hit2 = both(g1, g2, t2) & (g1.who == g1.probes.truth)
    return {"people": int(len(g1.top)), "strangers": int(len(s1.top)), "target_fpir": target,
            "one_photo": {"threshold": round(t1, 4), "fnir": round(fnir(g1, t1, margin), 4)},
            "two_photos": {"threshold": round(t2, 4), "fnir": round(float(1 - hit2.mean()), 4),
                           "fpir": round(float(both(s1, strangers_more, t2).mean()), 4)}}


def operating_point(genuine: dict[str, Ranked], strangers: dict[str, Ranked], target: float, margin: float) -> dict:
    """Thresholds for a target FPIR: unmasked from unmasked strangers, masked from the strangers the
    mask check calls masked under the app's renderer only (the other renderer and the real masks are
    held out). FPIR is also shown held out: thresholds set on one half of the strangers, counted on the other."""
    def masked_only(r: Ranked) -> Ranked:
        return r.subset(r.probes.masked)

    def thresholds(keep: np.ndarray | None = None) -> tuple[float, float]:
        pick = (lambda r: r) if keep is None else (lambda r: r.subset(keep[: len(r.top)] if len(keep) >= len(r.top) else keep))
        return (threshold_at_fpir(pick(strangers[PLAIN]), target, margin),
                threshold_at_fpir(masked_only(pick(strangers[MASKED_APP])), target, margin))

    t = thresholds()
    out = {"target_fpir": target, "margin": margin, "threshold_unmasked": round(t[0], 4), "threshold_masked": round(t[1], 4)}
    n = len(strangers[PLAIN].top)
    halves = np.arange(n) % 2 == 0
    for kind, r in strangers.items():
        rep = kind_report(genuine.get(kind), r, t, margin)
        if len(r.top) == n:  # the LFW strangers: the same people in every kind
            held = [fpir(r.subset(~h), np.where(r.subset(~h).probes.masked, tt[1], tt[0]), margin)
                    for h in (halves, ~halves) for tt in [thresholds(h)]]
            rep["fpir_held_out"] = round(float(np.mean(held)), 4)
        out[kind] = rep
    return out


def eval_openset(engine, lfw_dir: Path, real_dir: Path | None, cache_dir: Path, *, embedders: tuple[str, ...] = ("sface",),
                 sizes: tuple[int, ...] = (100, 1000), three_photo_sizes: tuple[int, ...] = (100,),
                 gallery_pool: int = 1200, strangers: int = 1100, development: int = 300,
                 progress: Callable[[str, int, int], None] | None = None) -> dict:
    """The whole protocol (module docstring) for each embedder ('mobilefacenet', 'sface', 'fusion', or
    an ONNX embedder file's path)."""
    from faceapp.config import THRESHOLDS

    for name in embedders:  # before the crops, which may take hours
        if name != "fusion":
            embedder_path(name)
    split = split_people([r for r, _ in lfw_photos(lfw_dir)], gallery_pool=gallery_pool, strangers=strangers,
                         development=development)
    crops = prepare(engine, lfw_dir, real_dir, cache_dir, split, n_max=max(sizes),
                    three_max=max(three_photo_sizes, default=0), progress=progress)
    more = photo_crops(lambda: CropMaker(engine() if callable(engine) else engine),
                       [(r, Path(lfw_dir) / "images" / r) for r in split.stranger_more.values()], cache_dir, "probe",
                       (lambda d, t: progress("second photos of strangers", d, t)) if progress else None)
    crops["probe"].update(more)
    result = {"protocol": {"gallery_pool": len(split.gallery_pool), "strangers": len(split.strangers),
                           "strangers_with_second_photo": len(split.stranger_more), "development": len(split.development),
                           "real_photos": len(crops["real"]), "sizes": list(sizes), "three_photo_sizes": list(three_photo_sizes),
                           "margin": THRESHOLDS.match_margin},
              "embedders": {}}
    for name in embedders:
        result["embedders"][name] = evaluate_embedder(name, split, crops, cache_dir, sizes, three_photo_sizes)
    return result


def embedder_path(name: str) -> Path:
    """The weights of a name of EMBEDDERS, or NAME itself if it is an ONNX file."""
    from faceapp.resources import model_path

    if name in EMBEDDERS:
        return model_path(EMBEDDERS[name])
    if name.endswith(".onnx") and Path(name).is_file():
        return Path(name)
    raise ValueError(f"unknown embedder {name!r}; choose from {', '.join(EMBEDDERS)}, fusion or an .onnx file")


def shipped_name(name: str) -> str:
    """The EMBEDDERS name whose thresholds apply: an INT8 copy (build/int8/sface.int8.onnx) is judged
    at its FP32 source's, so the figures compare at the same operating points; '' for other files."""
    from faceapp.vision.embedder import source_name

    if name in EMBEDDERS or name == "fusion":
        return name
    return next((k for k, file in EMBEDDERS.items() if file == source_name(name)), "")


def embedder_vectors(name: str, crops: Crops, cache_dir: Path) -> tuple[Vectors, int]:
    from faceapp.vision.embedder import Embedder

    if name == "fusion":
        (a, da), (b, db) = embedder_vectors("mobilefacenet", crops, cache_dir), embedder_vectors("sface", crops, cache_dir)
        return fuse(a, b), da + db
    embedder = Embedder(embedder_path(name))
    return embed_crops(crops, embedder, cache_dir), embedder.dim


def dev_adapter(split: Split, crops: Crops, vectors: Vectors):
    """A mask adapter fitted on the development people only (the shipped one has seen all of LFW)."""
    from faceapp.vision.mask_adapter import MaskAdapter

    return MaskAdapter.fit(*adapter_pairs(crops, vectors, set(split.development)), "", photos=len(split.development))


def operating_points(name: str) -> dict[str, tuple[float, float]]:
    """(unmasked, masked) thresholds the app uses or used with this embedder."""
    from faceapp.config import THRESHOLDS

    if name == "sface":  # the shipped embedder
        return {"attendance": (THRESHOLDS.match_unmasked, THRESHOLDS.match_masked),
                "door": (THRESHOLDS.door_unmasked, THRESHOLDS.door_masked)}
    if name == "mobilefacenet":
        return {"shipped before": MOBILEFACENET_THRESHOLDS}
    return {}


# The thresholds shipped with MobileFaceNet before the open-set measurement (set on LFW 1:1 pairs).
MOBILEFACENET_THRESHOLDS = (0.45, 0.42)


def evaluate_embedder(name: str, split: Split, crops: Crops, cache_dir: Path, sizes, three_photo_sizes) -> dict:
    from faceapp.config import THRESHOLDS

    vectors, dim = embedder_vectors(name, crops, cache_dir)
    adapter = dev_adapter(split, crops, vectors)
    points = operating_points(shipped_name(name))
    stranger_items = [(-1, "probe", r) for r in split.strangers]
    more_items = [(-1, "probe", split.stranger_more.get(r, "")) for r in split.strangers]
    real_items = [(-1, "real", r) for r in crops["real"]]
    out: dict = {"dim": dim, "galleries": {}}
    cohort = _cohort(split, crops, vectors, dim, adapter)
    for photos, ns in ((1, sizes), (3, three_photo_sizes)):
        for n in ns:
            gallery, _ = build_gallery(split, crops, vectors, n, photos, adapter)
            owner = {nm: i for i, nm in enumerate(gallery.names)}
            genuine_items = [(owner[nm], "probe", r) for nm in gallery.names for r in split.probes[nm]]
            rep: dict = {"people": n, "photos_each": photos, "kinds": {}}
            ranked_g, ranked_s = {}, {}
            for kind in PROBE_KINDS:
                g = probe_set(genuine_items, crops, vectors, kind, dim)
                s = probe_set(stranger_items, crops, vectors, kind, dim)
                ranked_g[kind] = Ranked.of(gallery.person_scores(g.vectors, g.masked), g)
                ranked_s[kind] = Ranked.of(gallery.person_scores(s.vectors, s.masked), s)
                rep["kinds"][kind] = kind_report(ranked_g[kind], ranked_s[kind], (-1.0, -1.0), THRESHOLDS.match_margin)
            r = probe_set(real_items, crops, vectors, REAL, dim)
            ranked_s[REAL] = Ranked.of(gallery.person_scores(r.vectors, r.masked), r)
            rep["kinds"][REAL] = kind_report(None, ranked_s[REAL], (-1.0, -1.0), THRESHOLDS.match_margin)
            rep["points"] = {label: {"thresholds": list(t), **{
                kind: {k: v for k, v in kind_report(ranked_g.get(kind), ranked_s[kind], t, THRESHOLDS.match_margin).items()
                       if k in ("fpir", "fnir")} for kind in ranked_s}} for label, t in points.items()}
            if photos == 1:
                rep["strategies"] = strategies(gallery, ranked_g, ranked_s, cohort, stranger_items, more_items, crops, vectors, dim)
                rep["operating_points"] = {label: operating_point(ranked_g, ranked_s, target, THRESHOLDS.match_margin)
                                           for label, target in (("fpir_1%", 0.01), ("fpir_0.1%", 0.001))}
                rep["det"] = {kind: [a.round(5).tolist() for a in det_curve(ranked_g[kind], ranked_s[kind])]
                              for kind in PROBE_KINDS}
            out["galleries"][f"{photos}photo_N{n}"] = rep
    return out


def _cohort(split: Split, crops: Crops, vectors: Vectors, dim: int, adapter) -> tuple[Gallery, dict[bool, Probes]]:
    """The development people as a cohort: enrolled (for T-norm) and as probes (for Z-norm)."""
    dev = Split({}, {}, {r.split("/")[0]: [r] for r in split.development}, [], {}, [])
    enrolled = sum(1 for r in split.development if r in crops["enroll"] and not crops["enroll"][r].enroll_problem)
    gallery, _ = build_gallery(dev, crops, vectors, enrolled, 1, adapter)
    items = [(-1, "probe", r) for r in split.development]
    plain = probe_set(items, crops, vectors, PLAIN, dim)
    masked = probe_set(items, crops, vectors, MASKED_APP, dim)
    keep = masked.masked
    return gallery, {False: plain, True: Probes(masked.truth[keep], masked.vectors[keep], masked.found[keep],
                                                 masked.masked[keep], masked.group[keep])}


def strategies(gallery: Gallery, genuine: dict[str, Ranked], strangers: dict[str, Ranked], cohort, stranger_items,
               more_items, crops: Crops, vectors: Vectors, dim: int) -> dict:
    """FNIR at FPIR 0.1% and 1% per probe kind for each way of scoring (docs/benchmarks.md)."""
    norm = Cohort.build(gallery, *cohort)
    out: dict = {}
    for kind in PROBE_KINDS:
        g, s = genuine[kind], strangers[kind]
        raw_g = gallery.person_scores(g.probes.vectors, g.probes.masked)
        raw_s = gallery.person_scores(s.probes.vectors, s.probes.masked)
        rows = {}
        for label, how, margin in (("top-1 score", "none", 0.0), ("margin 0.05", "none", 0.05),
                                   ("margin 0.10", "none", 0.10), ("Z-norm", "z", 0.0), ("T-norm", "t", 0.0),
                                   ("S-norm", "s", 0.0)):
            rg = Ranked.of(norm.normalise(raw_g, g.probes, how), g.probes)
            rs = Ranked.of(norm.normalise(raw_s, s.probes, how), s.probes)
            rows[label] = {_pct(t): round(fnir(rg, threshold_at_fpir(rs, t, margin), margin), 4) for t in TARGETS}
        m = probe_set(more_items, crops, vectors, kind, dim)
        has_more = np.array([rel != "" for _, _, rel in more_items])
        more = Ranked.of(gallery.person_scores(m.vectors, m.masked), m).subset(has_more)
        rows["two photos, margin 0.05"] = two_frames(g, s.subset(has_more), more, 0.05, 0.01)
        out[kind] = rows
    return out


# --- DET plot -----------------------------------------------------------------------------------------------

_COLOURS = [(200, 80, 0), (0, 140, 255), (40, 160, 40), (60, 60, 220), (160, 60, 160), (120, 120, 120)]  # BGR


def det_plot(curves: dict[str, tuple[np.ndarray, np.ndarray]], path: Path, title: str = "",
             lo: float = 1e-3, size: tuple[int, int] = (900, 680)) -> Path:
    """FNIR against FPIR on log axes (lo..1 both), one line per curve, drawn with OpenCV into a PNG."""
    import cv2

    w, h = size
    left, right, top, bottom = 80, 260, 40, 60
    img = np.full((h, w, 3), 255, np.uint8)
    span = -np.log10(lo)

    def xy(fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
        x = left + (np.log10(np.clip(fp, lo, 1)) / span + 1) * (w - left - right)
        y = top + (-np.log10(np.clip(fn, lo, 1)) / span) * (h - top - bottom)
        return np.stack([x, y], 1)

    font = cv2.FONT_HERSHEY_SIMPLEX
    for d in range(int(span) + 1):
        v = 10.0 ** -d
        (x, _), (_, y) = xy(np.array([v]), np.array([1.0]))[0], xy(np.array([1.0]), np.array([v]))[0]
        cv2.line(img, (int(x), top), (int(x), h - bottom), (225, 225, 225), 1)
        cv2.line(img, (left, int(y)), (w - right, int(y)), (225, 225, 225), 1)
        label = f"{v:g}"
        cv2.putText(img, label, (int(x) - 14, h - bottom + 20), font, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
        cv2.putText(img, label, (left - 50, int(y) + 5), font, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.rectangle(img, (left, top), (w - right, h - bottom), (0, 0, 0), 1)
    cv2.putText(img, "FPIR (strangers named)", (left + 120, h - 15), font, 0.55, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, "FNIR", (10, (top + h - bottom) // 2), font, 0.55, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, title, (left, top - 15), font, 0.55, (0, 0, 0), 1, cv2.LINE_AA)
    for i, (label, (fp, fn)) in enumerate(curves.items()):
        colour = _COLOURS[i % len(_COLOURS)]
        order = np.argsort(fp)
        pts = np.round(xy(np.asarray(fp)[order], np.asarray(fn)[order])).astype(np.int32)
        cv2.polylines(img, [pts], False, colour, 2, cv2.LINE_AA)
        ly = top + 20 + 22 * i
        cv2.line(img, (w - right + 12, ly - 4), (w - right + 40, ly - 4), colour, 2, cv2.LINE_AA)
        cv2.putText(img, label, (w - right + 46, ly), font, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), img):
        raise OSError(f"could not write {path}")
    return path


KIND_LABELS = {PLAIN: "unmasked", MASKED_APP: "masked (app's masks)", MASKED_OTHER: "masked (other masks)",
               REAL: "real masked strangers"}


def det_plots(result: dict, path: Path) -> list[str]:
    """One DET plot per embedder (N = the largest one-photo gallery); PATH, or PATH-<embedder>.png for several."""
    written = []
    for name, r in result["embedders"].items():
        key = max((k for k, g in r["galleries"].items() if "det" in g), key=lambda k: r["galleries"][k]["people"])
        g = r["galleries"][key]
        curves = {KIND_LABELS[k]: (np.array(fp), np.array(fn)) for k, (fp, fn) in g["det"].items()}
        tag = Path(name).name.removesuffix(".onnx")  # a file's name, not its folders
        out = path if len(result["embedders"]) == 1 else path.with_name(f"{path.stem}-{tag}{path.suffix}")
        written.append(str(det_plot(curves, out, f"{name}, N = {g['people']}, one photo each")))
    return written


def print_report(r: dict) -> None:
    p = r["protocol"]
    print(f"Open-set identification on LFW: {p['strangers']} strangers (one photo each), {p['real_photos']} masked-real "
          f"photos, development (cohort, adapter) {p['development']} people; margin {p['margin']}")
    for name, e in r["embedders"].items():
        for gname, g in e["galleries"].items():
            print(f"\n{name}: N = {g['people']}, {g['photos_each']} photo(s) each")
            print(f"  {'probe kind':24s} {'genuine':>7s} {'strangers':>9s}  {'FNIR@FPIR0.1%':>13s} {'FNIR@FPIR1%':>11s}")
            for kind, k in g["kinds"].items():
                fn = lambda key: f"{k[key]:.4f}" if key in k else "-"  # noqa: E731
                print(f"  {KIND_LABELS[kind]:24s} {k.get('genuine', '-'):>7} {k['strangers']:>9}  "
                      f"{fn('fnir_at_fpir_0.1%'):>13s} {fn('fnir_at_fpir_1%'):>11s}")
            for label, point in g["points"].items():
                t = point["thresholds"]
                cells = [f"{KIND_LABELS[k]} FPIR {v['fpir']:.4f}" + (f" FNIR {v['fnir']:.4f}" if "fnir" in v else "")
                         for k, v in point.items() if k != "thresholds"]
                print(f"  at {label} thresholds {t[0]:.2f}/{t[1]:.2f}: " + "; ".join(cells))
            if "strategies" in g:
                print("  FNIR at FPIR 0.1% / 1% by scoring:")
                for kind, rows in g["strategies"].items():
                    cells = [f"{label} {v['0.1%']:.3f}/{v['1%']:.3f}" for label, v in rows.items() if "1%" in v]
                    two = rows["two photos, margin 0.05"]
                    print(f"    {KIND_LABELS[kind]:22s} " + "; ".join(cells))
                    print(f"    {'':22s} two photos ({two['people']} people, {two['strangers']} strangers, FPIR "
                          f"{two['target_fpir']:.0%}): FNIR {two['two_photos']['fnir']:.3f} vs one photo {two['one_photo']['fnir']:.3f}")
            for label, op in g.get("operating_points", {}).items():
                print(f"  thresholds for FPIR {op['target_fpir']:.1%}: {op['threshold_unmasked']:.3f}/"
                      f"{op['threshold_masked']:.3f}, margin {op['margin']}")
                for kind, k in op.items():
                    if isinstance(k, dict):
                        held = f" (held out {k['fpir_held_out']:.4f})" if "fpir_held_out" in k else ""
                        fnir_text = f"  FNIR {k['fnir']:.4f}" if "fnir" in k else ""
                        print(f"    {KIND_LABELS[kind]:24s} FPIR {k['fpir']:.4f}{held}{fnir_text}")


def cached_crops(cache_dir: Path) -> Crops:
    """Every LFW photo the cache holds (enroll and probe parts), whatever split computed it."""
    folder = Path(cache_dir) / f"crops-{pipeline_key()}"
    out: Crops = {}
    for part in ("enroll", "probe"):
        out[part] = {}
        for file in sorted((folder / part).glob("*.npz")):
            if not file.name.endswith(".tmp.npz"):
                out[part][file.stem.replace("__", "/") + ".jpg"] = PhotoCrops.load(file)
    return out


def adapter_pairs(crops: Crops, vectors: Vectors, rels=None) -> tuple[np.ndarray, np.ndarray]:
    """(masked, plain) embedding rows of the same photos, to fit a mask adapter on: each masked
    enrollment template against its photo's enrolled face, each app-masked probe against the plain
    probe. The second renderer's masks are never used (they stay a held-out test)."""
    masked, plain = [], []
    for part, base, kinds in (("enroll", ENROLL, None), ("probe", PLAIN, (MASKED_APP,))):
        for rel, pc in crops[part].items():
            if (rels is not None and rel not in rels) or base not in pc.kinds:
                continue
            v = vectors[part][rel]
            b = v[pc.kinds.index(base)]
            for k, row in zip(pc.kinds, v):
                if k != base and (kinds is None or k in kinds):
                    masked.append(row)
                    plain.append(b)
    return np.array(masked, np.float32), np.array(plain, np.float32)
