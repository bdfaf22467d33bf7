"""Reason codes: why a photo was rejected, a door denied, a shot not taken or a setting refused.

The core returns a `Reason` (a code and its parameters), never a sentence. `TEMPLATES` is the one
catalogue of their English wording; the GUI renders a reason through its translation catalogue
(resources/translations, whose keys are these templates) and the CLI in English. `--json` output
carries code, params and the English text side by side.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


def N_(text: str) -> str:  # noqa: N802 (gettext's name): marks a template for translation
    return text


TEMPLATES: dict[str, str] = {
    # door decisions (faceapp.access.policy.DenyReason, and "granted")
    "granted": N_("Welcome, {name}."),
    "not_live": N_("No blink seen: this may be a photo or a screen."),
    "spoof_suspected": N_("Photo or screen suspected."),
    "unknown": N_("Face not recognised."),
    "ambiguous": N_("Too close to more than one enrolled person; please look at the camera again."),
    "inactive": N_("Access for {name} is switched off."),
    "outside_schedule": N_("Access is not allowed at this time."),
    "mask_required": N_("Please wear a mask."),
    "lower_mask": N_("Please lower your mask."),
    # enrollment gates (faceapp.vision.quality, faceapp.recognition.enroll)
    "no_face": N_("no face found"),
    "many_faces": N_("{count} faces in the photo; enrollment needs exactly one"),
    "largest_face_used": N_("{count} faces in the photo; the largest, clearly in front, was used"),
    "unreadable": N_("cannot use this file: {detail}"),
    "too_small": N_("face too small ({size:.0f} px, need {need:.0f})"),
    "unsure": N_("unsure detection (score {score:.2f}, need {need:.2f})"),
    "blurred": N_("blurred (sharpness {sharpness:.0f}, need {need:.0f})"),
    "turned": N_("face turned sideways (yaw {yaw:.0f}°, limit {limit:.0f}°)"),
    "tilted": N_("head tilted (roll {roll:.0f}°, limit {limit:.0f}°)"),
    "pitched": N_("face looking up or down (nose at {pitch:.2f} between eyes and mouth)"),
    "too_dark": N_("too dark (mean {brightness:.0f})"),
    "too_bright": N_("too bright (mean {brightness:.0f})"),
    "clipped": N_("over- or under-exposed ({clipped:.0%} of the face clipped)"),
    "inconsistent": N_("does not look like the other photos (best similarity {best:.2f})"),
    "no_usable_photo": N_("no usable photo"),
    "none_passed": N_("no photo passed the quality checks"),
    "save_failed": N_("the gallery refused the save ({detail})"),
    "bad_name": N_("the name cannot be used: {detail}"),
    # guided camera capture (faceapp.live.guided_capture): prompts, then why a frame was not taken
    "look_straight": N_("Look straight at the camera"),
    "turn_one_side": N_("Turn your head slightly to one side"),
    "turn_other_side": N_("Now turn slightly to the other side"),
    "all_taken": N_("All shots taken"),
    "not_in_oval": N_("move your face into the oval"),
    "not_straight": N_("look straight at the camera"),
    "not_turned": N_("turn your head a little more"),
    "same_side": N_("turn to the other side"),
    # settings refused (faceapp.settings)
    "out_of_range": N_("{label} must be between {low:g} and {high:g}."),
    "not_a_number": N_("{label} must be a number."),
    "not_yes_no": N_("{label} must be on or off."),
    "not_a_choice": N_("{label} must be one of: {options}."),
    # execution providers (faceapp.vision.onnx_model): the app runs on, and says so
    "provider_not_offered": N_("{provider} is not offered by the installed onnxruntime; running on the CPU."),
    "provider_failed": N_("{provider} failed to start ({detail}); running on the CPU."),
    "bad_camera": N_("The camera must be a camera number or a stream address."),
    "camera_out_of_range": N_("There is no camera number {detail}: camera numbers go from 0 to {high}."),
    "bad_weekday": N_("Unknown weekday “{day}” in the opening hours."),
    "bad_time": N_("“{time}” is not a time of day (use HH:MM)."),
    "closes_before_opening": N_("On {day} the opening time must be before the closing time (split a night shift at midnight)."),
    "bad_action": N_("Unknown output action “{kind}”."),
    "no_command": N_("Enter the command to run when access is granted."),
    "bad_command": N_("The command cannot be read: {detail}."),
    "bad_url": N_("Enter a web address starting with http:// or https://."),
    "bad_direction": N_("“{direction}” is not a direction: use in, out or both."),
    "door_name_too_long": N_("A door name may have at most {high} characters."),
    "too_many_cameras": N_("At most {high} cameras can run on one PC."),
    "camera_twice": N_("The camera {source} is in the list twice."),
    "unknown_setting": N_("There is no setting called “{key}”."),
    # a door on a shared server (faceapp.storage.door)
    "door_online": N_("Online, {waiting} events waiting"),
    "door_offline": N_("Offline since {since}, {waiting} events waiting"),
    "door_offline_refused": N_("This door cannot reach the server (offline since {since}): enrollment and settings "
                               "need it. Recognition goes on from the last synced copy."),
    # work schedules, holidays and corrections (faceapp.hr)
    "schedule_name": N_("A schedule needs a name."),
    "schedule_weekday": N_("Unknown weekday “{day}” (use mon, tue, … or ranges like mon-fri)."),
    "schedule_no_weekdays": N_("A schedule needs at least one working day."),
    "schedule_break": N_("The break must lie inside the working hours."),
    "schedule_grace": N_("The grace period must be between 0 and {high} minutes."),
    "schedule_unknown": N_("There is no schedule called “{name}”."),
    "schedule_exists": N_("A schedule called “{name}” already exists."),
    "bad_day": N_("“{day}” is not a date (use YYYY-MM-DD)."),
    "bad_month": N_("“{month}” is not a month (use YYYY-MM)."),
    "no_reason": N_("Give a reason for the correction."),
    "timezone": N_("Unknown time zone “{zone}”."),
    # a fine-tune's recommendation (trainer.finetune.loop.recommend)
    "ft_better": N_("masked TAR@FAR1% {tar_before:.3f} → {tar_after:.3f}, masked AUC {auc_before:.4f} → "
                    "{auc_after:.4f}, masked margin {margin_before:.3f} → {margin_after:.3f}"),
    "ft_not_better": N_("not better on masked held-out photos (TAR@FAR1% {tar_before:.3f} → {tar_after:.3f}, AUC "
                        "{auc_before:.4f} → {auc_after:.4f}, margin {margin_before:.3f} → {margin_after:.3f})"),
    "ft_held_out_dropped": N_("held-out unmasked AUC dropped from {before:.4f} to {after:.4f} (more than {limit:.4f})"),
    "ft_unseen_dropped": N_("unseen-people AUC dropped from {before:.4f} to {after:.4f} (more than {limit:.4f})"),
    "ft_no_strangers": N_("not checked against strangers: give a folder of photos of people not enrolled"),
    "ft_strangers_named": N_("the door would name {after} of {total} strangers at its threshold {threshold:.2f} "
                             "(before: {before})"),
    "ft_masked_strangers_named": N_("the door would name {after} of {total} masked strangers at its threshold "
                                    "{threshold:.2f} (before: {before})"),
}


def english(text: str) -> str:
    return text


@dataclass(frozen=True, slots=True)
class Reason:
    code: str  # a key of TEMPLATES
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in TEMPLATES:
            raise KeyError(f"no template for reason code {self.code!r}")

    def text(self, translate: Callable[[str], str] = english) -> str:
        """The reason in words: the template through `translate` (the GUI's tr), filled in. A
        `label` or `day` parameter (a setting's or weekday's name, marked N_ where it is defined) is
        translated too."""
        params = {k: translate(v) if k in ("label", "day") else v for k, v in self.params.items()}
        return translate(TEMPLATES[self.code]).format(**params)

    def to_json(self) -> dict[str, Any]:
        params = {k: v.item() if hasattr(v, "item") else v for k, v in self.params.items()}  # numpy scalars
        return {"code": self.code, "params": params, "text": self.text()}


def joined(reasons: Iterable[Reason], translate: Callable[[str], str] = english) -> str:
    """Several reasons on one line, as a photo that fails several gates shows them."""
    return "; ".join(r.text(translate) for r in reasons)


class ReasonError(ValueError):
    """An error that carries its reason code, so every front end can word it in its language."""

    def __init__(self, code: str, **params: Any):
        self.reason = Reason(code, params)
        super().__init__(self.reason.text())
