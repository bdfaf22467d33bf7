import numpy as np

from faceapp.config import TrackerConfig
from faceapp.live.tracker import Tracker
from faceapp.types import Detection, Face, Match


def face(x, y, size=120.0, score=0.99, emb=None):
    box = np.array([x, y, x + size, y + size], np.float32)
    lm = np.zeros((5, 2), np.float32)
    return Face(detection=Detection(box=box, score=score, landmarks=lm), embedding=emb)


def unit(k, dim=8):
    return np.eye(dim, dtype=np.float32)[k]  # orthogonal: cosine 0 between two people


def match(pid, score=0.7):
    return Match(person_id=pid, name=None if pid is None else f"p{pid}", score=score, margin=0.3, threshold=0.45, masked=False)


def test_two_faces_keep_their_ids_while_moving():
    tr = Tracker()
    ids = None
    for k in range(30):
        seen = tr.update([face(100 + 3 * k, 100), face(400 - 3 * k, 120)], k / 30)
        now = {round(float(t.box[0])): t.id for t in seen}
        if ids is None:
            ids = sorted(now.values())
        assert sorted(now.values()) == ids
    t1 = tr.get(ids[0])
    assert t1.age == 30 and t1.misses == 0 and len(t1.history) == 30


def test_missed_frames_then_dropped():
    cfg = TrackerConfig(lost_after_s=0.5)
    tr = Tracker(cfg)
    (t,) = tr.update([face(100, 100)], 0.0)
    assert tr.update([], 0.1) == [] and t.misses == 1
    (again,) = tr.update([face(104, 100)], 0.2)
    assert again.id == t.id and again.misses == 0
    tr.update([], 0.5)
    tr.update([], 0.8)  # 0.6 s unseen
    assert tr.tracks == []
    (new,) = tr.update([face(104, 100)], 0.9)
    assert new.id != t.id


def test_embedding_splits_a_swap_and_rejoins_a_jump():
    tr = Tracker()
    a, b = unit(1), unit(2)
    (ta,) = tr.update([face(100, 100, emb=a)], 0.0)
    # another face appears at the same spot: overlap, but a different embedding -> new track
    (tb,) = tr.update([face(102, 100, emb=b)], 0.04)
    assert tb.id != ta.id
    # the first face reappears far away: no overlap, same embedding -> same track
    seen = tr.update([face(400, 300, emb=a), face(104, 100, emb=b)], 0.08)
    assert {s.id for s in seen} == {ta.id, tb.id}
    assert tr.get(ta.id).box[0] == 400


def test_vote_needs_several_agreeing_frames():
    tr = Tracker()
    (t,) = tr.update([face(100, 100)], 0.0)
    assert t.add_vote(match(7, 0.9), 0.0) is None  # one lucky frame commits nothing
    assert t.add_vote(match(7, 0.8), 0.04) is None
    ident = t.add_vote(match(7, 0.7), 0.08)
    assert ident is not None and ident.person_id == 7 and 0.7 < ident.score < 0.9


def test_vote_weighted_by_size_and_disagreement_blocks():
    tr = Tracker()
    (t,) = tr.update([face(100, 100, size=150)], 0.0)
    # three small, doubtful frames say person 3; three big sure ones say person 5
    for k in range(3):
        t.add_vote(match(3), k * 0.03, weight=t.vote_weight(face(0, 0, size=30, score=0.8)))
    for k in range(3):
        ident = t.add_vote(match(5), 0.1 + k * 0.03)
    assert ident.person_id == 5
    # an even split between two people commits nobody new
    tr2 = Tracker()
    (u,) = tr2.update([face(100, 100)], 0.0)
    for k in range(6):
        ident = u.add_vote(match(1 if k % 2 else 2), k * 0.03)
    assert ident is None


def test_unknown_needs_more_votes_than_a_name():
    tr = Tracker()
    (t,) = tr.update([face(100, 100)], 0.0)
    for k in range(TrackerConfig().min_votes_unknown - 1):
        assert t.add_vote(match(None, 0.2), k * 0.03) is None
    ident = t.add_vote(match(None, 0.2), 0.5)
    assert ident is not None and not ident.known
