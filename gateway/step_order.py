"""The order in which the ops of one step run, written once as data (as
imgproxy writes its pipeline as one list of steps,
https://github.com/imgproxy/imgproxy/blob/master/processing/processing.go).

A dialect that compiles a flat list of options (one ImageKit step
``w-300,rt-90,e-grayscale``, one thumbor URL, one imgproxy option list) into
EditGraph steps files each step under its slot in a :class:`StepSlots` and
takes :meth:`StepSlots.ordered`. The order is chosen for speed and meaning:
resize/crop first (later ops see fewer pixels), then rotate, flip, blur,
sharpen, the step's one AI op, the other effects in URL order (trim, border,
radius, shadow, gradient, opacity...), layers, conditional blocks (decided on
the image as the block receives it), and the background colour last (it lies
under everything, the cut-out subject included).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from imgmesh.v1 import edit_pb2

STEP_ORDER: tuple[str, ...] = (
    "resize",
    "rotate",
    "flip",
    "blur",
    "sharpen",
    "ai",
    "effects",
    "layers",
    "conditionals",
    "background",
)


@dataclass
class StepSlots:
    """The steps of one dialect step, filed by slot (a name of STEP_ORDER)."""

    slots: dict[str, list[edit_pb2.Step]] = field(
        default_factory=lambda: {name: [] for name in STEP_ORDER}
    )

    def add(self, slot: str, *steps: edit_pb2.Step) -> None:
        """File ``steps`` under ``slot``, after those already there.

        Raises:
            KeyError: ``slot`` is not in STEP_ORDER.
        """
        self.slots[slot].extend(steps)

    def ordered(self) -> list[edit_pb2.Step]:
        """Every filed step, slot by slot in STEP_ORDER, each slot in filing order."""
        return [step for name in STEP_ORDER for step in self.slots[name]]
