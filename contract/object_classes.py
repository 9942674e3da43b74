"""The object classes the mesh's detectors find, the names every dialect's
object gravity maps onto (ImageKit ``fo-<object>``, imgproxy ``g:obj:<class>``,
Cloudinary ``g_auto:<object>``): the 80 COCO detection classes in darknet's
``coco.names`` order (https://cocodataset.org) -- the index is the class id
of ``inference/object_detection.py``'s model output -- with spaces written as
``_`` (e.g. ``traffic_light``), and ``face`` found by the face detector."""

COCO_CLASSES = (
    "person bicycle car motorcycle airplane bus train truck boat traffic_light fire_hydrant "
    "stop_sign parking_meter bench bird cat dog horse sheep cow elephant bear zebra giraffe "
    "backpack umbrella handbag tie suitcase frisbee skis snowboard sports_ball kite "
    "baseball_bat baseball_glove skateboard surfboard tennis_racket bottle wine_glass cup "
    "fork knife spoon bowl banana apple sandwich orange broccoli carrot hot_dog pizza donut "
    "cake chair couch potted_plant bed dining_table toilet tv laptop mouse remote keyboard "
    "cell_phone microwave oven toaster sink refrigerator book clock vase scissors teddy_bear "
    "hair_drier toothbrush"
).split()

# darknet's coco.names spells six classes differently; both spellings are accepted.
ALIASES = {
    "motorbike": "motorcycle",
    "aeroplane": "airplane",
    "sofa": "couch",
    "pottedplant": "potted_plant",
    "diningtable": "dining_table",
    "tvmonitor": "tv",
}


# Every class the mesh's detectors find: faces (BlazeFace), then COCO's.
DETECTED_CLASSES = ("face", *COCO_CLASSES)


def object_class(name: str) -> str | None:
    """The canonical COCO class for ``name`` or one of its darknet aliases;
    None when it names none."""
    if name in COCO_CLASSES:
        return name
    return ALIASES.get(name)
