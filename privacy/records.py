"""Records of processing (GDPR Art. 30), generated from the data inventory alone.

Nothing here is written by hand: every line comes from the declarations in each app's
`personal_data.py`, in a fixed order, so the generated document changes only when they do.
"""

from __future__ import annotations

from privacy.inventory import OUR_APPS, REGISTRY, Classification, Erasure, Personal, Retention

INTRO = (
    "Every field of every model that stores something is listed here, with what it is, why it "
    "is processed, on which legal basis, whether a data export includes it, what erasure does "
    "to it and how long it is kept. This file is generated from the declarations in each app's "
    "`personal_data.py`; do not edit it by hand, run "
    "`.venv/bin/python manage.py inventory --output docs/data-inventory.md` instead."
)
ERASURE_LEGEND = (
    "On erasure: *delete* removes the value (or its row), *anonymize* replaces it as the "
    "strategy names, *retain* keeps it on its legal basis until its retention period ends."
)
TABLE_HEADER = (
    "| field | category | purpose | legal basis | exported | on erasure | retention |\n"
    "|---|---|---|---|---|---|---|"
)


def records_of_processing() -> str:
    """The records of processing as Markdown, one section per app and model."""
    blocks = ["# Records of processing activities", INTRO, ERASURE_LEGEND]
    for app_label in app_labels():
        blocks.append(f"## {app_label}")
        for label in sorted(label for label in REGISTRY if label.split(".")[0] == app_label):
            blocks += model_section(label, REGISTRY[label])
    blocks += retention_summary()
    return "\n\n".join(blocks) + "\n"


def app_labels() -> list[str]:
    """Our apps in their usual order, then any other app that declared something."""
    declared = {label.split(".")[0] for label in REGISTRY}
    return [app for app in OUR_APPS if app in declared] + sorted(declared - set(OUR_APPS))


def model_section(label: str, fields: dict[str, Classification]) -> list[str]:
    personal = {name: item for name, item in fields.items() if isinstance(item, Personal)}
    blocks = [f"### {label}"]
    if personal:
        rows = [field_row(name, personal[name]) for name in sorted(personal)]
        blocks.append("\n".join([TABLE_HEADER, *rows]))
    else:
        blocks.append("No personal data.")
    not_personal = sorted(name for name in fields if name not in personal)
    if not_personal:
        blocks.append("Not personal: " + ", ".join(f"`{name}`" for name in not_personal) + ".")
    return blocks


def field_row(name: str, item: Personal) -> str:
    cells = [
        f"`{name}`",
        item.category,
        item.purpose,
        item.basis,
        "yes" if item.export else "no",
        erasure_text(item),
        item.retention,
    ]
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def erasure_text(item: Personal) -> str:
    if item.erasure == Erasure.ANONYMIZE:
        return f"anonymize: {item.strategy}"
    return str(item.erasure)


def retention_summary() -> list[str]:
    """Each retention policy in use, with how many personal fields and which models follow it."""
    fields: dict[Retention, int] = {}
    models: dict[Retention, set[str]] = {}
    for label, declared in REGISTRY.items():
        for item in declared.values():
            if isinstance(item, Personal):
                fields[item.retention] = fields.get(item.retention, 0) + 1
                models.setdefault(item.retention, set()).add(label)
    rows = [
        f"| {retention} | {fields[retention]} | {', '.join(sorted(models[retention]))} |"
        for retention in Retention
        if retention in fields
    ]
    header = "| retention policy | personal fields | models |\n|---|---|---|"
    return ["## Retention policies in use", "\n".join([header, *rows])]
