"""Five alignment points for masked faces, from MediaPipe's face mesh.

Under a mask MTCNN's ONet guesses the nose and mouth it cannot see: on faces-sample with synthetic
masks its nose and mouth points drift a median 0.14 eye distances from where they are without the
mask (eyes 0.04), and the masked embedding suffers. The face mesh (468 points, 192x192 RGB crop)
keeps the face's shape under a mask. Its eye-corner midpoints, nose tip and mouth corners sit a
little apart from where MTCNN puts its five points, so they are mapped onto MTCNN's convention by
MESH_OFFSET (measured by `python -m trainer.build.face_mesh_offset` on unmasked LFW photos).

faces-sample, masked probes (`faceapp eval verify`): TAR@FAR1% 0.920 -> 0.953, rank-1 0.982 -> 1.000;
LFW with the second image masked (`faceapp eval lfw`): 95.82% -> 96.65%.
Only faces the mask check calls masked pay for it: ~2.5 ms per face on one thread.
"""

from __future__ import annotations

import cv2
import numpy as np

from faceapp.vision.align import ARCFACE_TEMPLATE, similarity_transform, transform_points
from faceapp.types import Detection
from faceapp.vision.boxes import centre
from faceapp.vision.onnx_model import OnnxModel

INPUT_SIZE = 192
# Side of the crop the mesh sees, in eye distances around the five points' centre: the whole face
# with a margin, as MediaPipe's own tracker frames it (its detection box x1.5).
CROP_EYE_DISTANCES = 3.5
# Side of the crop for the face-presence score, in detector-box sides around the box's centre: in a
# one-off comparison for #13 (not kept as a command) of 1.2, 1.5, 1.8 and 2.2, 1.8 left the fewest
# masked-real close-ups below a logit of 0 while the jack-o'-lantern of fi_protagonist.mp4 stayed
# below 3.6; `python -m faceapp.eval.cues` measures the shipped choice.
PRESENCE_CROP = 1.8
# Mesh indices: eye corners (image-left eye 33/133, image-right eye 362/263), nose tip, mouth corners.
_LEFT_EYE, _RIGHT_EYE, _NOSE, _MOUTH = (33, 133), (362, 263), 4, (61, 291)
# Mean position of the mesh's five points minus MTCNN's, in ArcFace template pixels (112x112), over
# 229 unmasked LFW photos (trainer/build/face_mesh_offset.py).
MESH_OFFSET = np.array([[-0.24, 0.83], [-1.08, 0.95], [-0.83, -0.59], [-1.15, -2.87], [0.24, -2.99]], np.float32)


class FaceMesh(OnnxModel):
    file = "face_landmark.onnx"
    key = "face_mesh"

    def _crop(self, image_bgr: np.ndarray, centre: np.ndarray, landmarks: np.ndarray, side: float):
        """The square of `side` px around `centre`, eye line levelled, as the model's input; and the
        image -> input transform."""
        left, right = np.asarray(landmarks, np.float64)[:2]
        angle = np.degrees(np.arctan2(right[1] - left[1], right[0] - left[0]))
        centre = np.asarray(centre, np.float64)
        m = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), angle, INPUT_SIZE / side)
        m[:, 2] += INPUT_SIZE / 2 - centre
        crop = cv2.warpAffine(image_bgr, m, (INPUT_SIZE, INPUT_SIZE), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        return crop[None, ..., ::-1].transpose(0, 3, 1, 2).astype(np.float32) / 255.0, m  # BGR -> RGB in [0, 1]

    def points(self, image_bgr: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        """(468, 2) mesh points in image pixels, on the face whose detector landmarks are given."""
        lm = np.asarray(landmarks, np.float64)
        eye = float(np.hypot(*(lm[1] - lm[0])))
        if eye < 1e-6:
            raise ValueError("the two eye landmarks coincide")
        x, m = self._crop(image_bgr, lm.mean(axis=0), lm, CROP_EYE_DISTANCES * eye)
        p = self.run(x)[0].reshape(468, 3)[:, :2]
        return transform_points(p, cv2.invertAffineTransform(m)).astype(np.float32)

    def presence(self, image_bgr: np.ndarray, detection: Detection) -> float:
        """The model's face-presence logit for a detector box (MediaPipe's face flag, before its
        sigmoid): clear faces read 18+, most detector false positives below 2, some masked faces
        below 0 too (DetectorConfig.presence_*). The crop is centred on the box, not on the
        landmarks, which ONet guesses on things that are not faces."""
        x, _ = self._crop(image_bgr, centre(detection.box), detection.landmarks, PRESENCE_CROP * detection.size)
        return float(self.run(x)[1].ravel()[0])

    def raw_five(self, image_bgr: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        """The mesh's own five points (eye-corner midpoints, nose tip, mouth corners), uncalibrated."""
        p = self.points(image_bgr, landmarks)
        return np.array([p[list(_LEFT_EYE)].mean(0), p[list(_RIGHT_EYE)].mean(0), p[_NOSE], p[_MOUTH[0]], p[_MOUTH[1]]],
                        np.float32)

    def five(self, image_bgr: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        """(5, 2) alignment points where MTCNN would put them if it could see the whole face."""
        to_image = similarity_transform(ARCFACE_TEMPLATE + MESH_OFFSET, self.raw_five(image_bgr, landmarks))
        return transform_points(ARCFACE_TEMPLATE, to_image).astype(np.float32)
