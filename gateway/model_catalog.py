"""The console's model catalog: the models a user may call (as /v1/models lists them), with
the prices they pay and what their channels say about each model."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from gateway import catalog


@dataclass(frozen=True)
class CatalogEntry:
    model: str
    providers: list[str]
    # The smallest any of the user's channels declares: what every request may rely on.
    context_window: int | None
    # Nano-units of the platform currency, the user's plan multiplier applied.
    input_per_million: int
    cached_input_per_million: int
    output_per_million: int
    request_fee: int


def scaled(nanos: int, multiplier: Decimal) -> int:
    """`nanos` times `multiplier`, rounded up to the next nano-unit as a charge would be."""
    exact = Fraction(nanos) * Fraction(multiplier)
    return -(-exact.numerator // exact.denominator)


def entries_for(user_id: int, *, query: str = "") -> list[CatalogEntry]:
    """The user's usable models whose name or provider contains `query` (any case)."""
    routing = catalog.load_routing(None)
    owner = catalog.load_user_settings(user_id)
    entries = []
    for model, channels in catalog.usable_models(routing, owner).items():
        price = routing.price(model)
        assert price is not None  # usable_models keeps priced models only.
        providers = sorted({str(channel.get_provider_display()) for channel in channels})
        if not any(query.casefold() in name.casefold() for name in [model, *providers]):
            continue
        windows = [
            channel.context_windows[model]
            for channel in channels
            if model in channel.context_windows
        ]
        rates = price.rates
        entries.append(
            CatalogEntry(
                model=model,
                providers=providers,
                context_window=min(windows) if windows else None,
                input_per_million=scaled(rates.input_per_million, owner.multiplier),
                cached_input_per_million=scaled(rates.cached_input_per_million, owner.multiplier),
                output_per_million=scaled(rates.output_per_million, owner.multiplier),
                request_fee=scaled(rates.request_fee, owner.multiplier),
            )
        )
    return entries
