"""Per-vertical service catalogs: what an Argentine shop of each kind sells.

Prices are approximate list prices in ARS at ``PRICE_REFERENCE_MONTH`` for a mid-priced
shop; the generator scales them by each tenant's price level and by inflation.
Durations are in minutes, multiples of 5. ``popularity`` is the relative share of
bookings among the services a shop offers.
"""

from __future__ import annotations

from dataclasses import dataclass

PRICE_REFERENCE_MONTH = "2025-06"


@dataclass(frozen=True)
class CatalogService:
    name: str
    category: str
    duration_min: int
    price_ars: float
    popularity: float
    core: bool = False  # offered by every shop of the vertical


CATALOG: dict[str, tuple[CatalogService, ...]] = {
    "barbershop": (
        CatalogService("Corte clásico", "corte", 30, 12000, 10.0, core=True),
        CatalogService("Corte + barba", "corte", 45, 17000, 6.0, core=True),
        CatalogService("Arreglo de barba", "barba", 20, 8000, 3.0, core=True),
        CatalogService("Fade / degradé", "corte", 40, 13500, 5.0),
        CatalogService("Corte infantil", "corte", 25, 9000, 2.0),
        CatalogService("Afeitado con navaja", "barba", 30, 9500, 1.2),
        CatalogService("Color de barba", "color", 40, 14000, 0.6),
        CatalogService("Perfilado de cejas", "estetica", 10, 3500, 0.8),
        CatalogService("Lavado y peinado", "corte", 20, 5500, 0.7),
        CatalogService("Reflejos / platinado", "color", 90, 32000, 0.4),
    ),
    "salon": (
        CatalogService("Corte dama", "corte", 45, 18000, 6.0, core=True),
        CatalogService("Brushing", "peinado", 40, 12000, 4.0, core=True),
        CatalogService("Color raíz", "color", 90, 32000, 3.5, core=True),
        CatalogService("Mechas / balayage", "color", 180, 78000, 1.2),
        CatalogService("Alisado con keratina", "alisado", 150, 65000, 1.0),
        CatalogService("Nutrición capilar", "tratamiento", 45, 16000, 1.5),
        CatalogService("Peinado de fiesta", "peinado", 60, 26000, 0.8),
        CatalogService("Corte caballero", "corte", 30, 11000, 2.0),
        CatalogService("Botox capilar", "tratamiento", 120, 48000, 0.6),
        CatalogService("Lavado + corte de puntas", "corte", 30, 10000, 1.5),
    ),
    "spa": (
        CatalogService("Masaje descontracturante", "masajes", 60, 30000, 4.0, core=True),
        CatalogService("Masaje relajante", "masajes", 50, 27000, 3.0, core=True),
        CatalogService("Limpieza facial profunda", "facial", 60, 28000, 3.0, core=True),
        CatalogService("Drenaje linfático", "masajes", 50, 26000, 1.5),
        CatalogService("Depilación láser (zona)", "depilacion", 30, 22000, 2.0),
        CatalogService("Circuito spa", "circuito", 120, 45000, 1.0),
        CatalogService("Piedras calientes", "masajes", 75, 36000, 0.8),
        CatalogService("Reflexología", "masajes", 45, 22000, 0.8),
        CatalogService("Peeling facial", "facial", 45, 25000, 0.8),
        CatalogService("Lifting de pestañas", "estetica", 60, 21000, 1.2),
    ),
    "nails": (
        CatalogService("Esmaltado semipermanente", "semipermanente", 60, 15000, 7.0, core=True),
        CatalogService("Manicura tradicional", "manicura", 30, 8000, 3.0, core=True),
        CatalogService("Kapping en gel", "uñas", 75, 19000, 3.0, core=True),
        CatalogService("Uñas esculpidas", "uñas", 120, 28000, 1.5),
        CatalogService("Pedicura", "pedicura", 50, 14000, 2.0),
        CatalogService("Service / retiro", "uñas", 45, 10000, 1.5),
        CatalogService("Nail art", "uñas", 20, 4500, 0.8),
        CatalogService("Belleza de pies semipermanente", "pedicura", 60, 16000, 1.0),
        CatalogService("Soft gel", "uñas", 90, 22000, 1.2),
    ),
}

# Staff roles that take appointments, per vertical.
STAFF_ROLES: dict[str, tuple[str, ...]] = {
    "barbershop": ("barbero", "barbero", "barbero senior", "aprendiz"),
    "salon": ("estilista", "estilista", "colorista", "peinadora"),
    "spa": ("masajista", "cosmetóloga", "esteticista", "masajista"),
    "nails": ("manicura", "técnica en uñas", "técnica en uñas", "pedicura"),
}
