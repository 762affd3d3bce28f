"""The file page's sections contributed by other apps (orientation, childcare…), without `accompaniment`
importing them. An app registers, from its `AppConfig.ready()`, a context function and the templates it
fills, each in one column of the page:

    from accompaniment.sections import register

    register(file_sections_context, main=["orientation/_file_diagnostics.html"],
             side=["orientation/_file_orientation.html"])

`context(request, beneficiary) -> dict` must run a constant number of queries whatever the file's history.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Contribution:
    context: object
    main: tuple[str, ...] = ()
    side: tuple[str, ...] = ()
    order: int = 100


_contributions = []


def register(context, *, main=(), side=(), order=100):
    contribution = Contribution(context=context, main=tuple(main), side=tuple(side), order=order)
    if all(existing.context is not context for existing in _contributions):
        _contributions.append(contribution)
    return context


def context_for(request, beneficiary):
    """The merged contexts and the ordered template lists `file_sections_main` / `file_sections_side`."""
    merged = {}
    main, side = [], []
    for contribution in sorted(_contributions, key=lambda c: c.order):
        merged.update(contribution.context(request, beneficiary))
        main.extend(contribution.main)
        side.extend(contribution.side)
    merged["file_sections_main"] = main
    merged["file_sections_side"] = side
    return merged
