"""A coarse outline of Argentina, drawn by hand from well-known coordinates.

It is bundled so the Regional Performance map needs no tiles, no CDN and no topojson:
the page plots city points on plain longitude/latitude axes over this outline. The
vertices (about 80) follow the borders and the Atlantic coast only roughly, to a few tens
of kilometres; it is a backdrop for orientation, not a survey map. Longitudes and
latitudes are in degrees (WGS84); each polygon is closed (last vertex = first).
"""

from __future__ import annotations

# (longitude, latitude), clockwise from the Bolivia-Chile corner in the north-west.
MAINLAND: tuple[tuple[float, float], ...] = (
    (-67.2, -22.8),  # Chile / Bolivia corner (Puna)
    (-66.2, -21.8),
    (-65.6, -22.1),  # La Quiaca
    (-64.6, -22.2),
    (-64.3, -22.8),
    (-63.9, -22.0),
    (-62.8, -22.0),  # Bolivia / Paraguay corner
    (-61.0, -23.8),  # along the Pilcomayo
    (-59.0, -24.6),
    (-57.6, -25.4),  # Asunción, across the river
    (-58.6, -27.3),  # Paraná confluence
    (-56.4, -27.5),
    (-55.6, -27.3),  # Posadas
    (-54.6, -25.6),  # Iguazú
    (-53.6, -26.2),
    (-53.8, -27.1),  # along the Uruguay river
    (-55.6, -28.2),
    (-56.8, -29.5),
    (-57.6, -30.2),
    (-58.1, -32.0),
    (-58.4, -33.9),  # Río de la Plata
    (-58.4, -34.6),  # Buenos Aires
    (-57.4, -35.4),  # Samborombón bay
    (-56.7, -36.3),  # Punta Rasa
    (-57.5, -38.0),  # Mar del Plata
    (-59.0, -38.6),
    (-61.5, -39.0),
    (-62.3, -38.8),  # Bahía Blanca
    (-62.1, -40.6),
    (-63.8, -41.1),
    (-65.1, -40.8),  # San Antonio Oeste
    (-64.5, -42.3),
    (-63.6, -42.6),  # Península Valdés
    (-65.0, -43.3),  # Rawson
    (-65.5, -45.0),
    (-67.5, -45.9),  # Comodoro Rivadavia
    (-65.7, -47.1),  # Cabo Tres Puntas
    (-67.6, -49.3),  # San Julián
    (-68.9, -50.3),
    (-69.2, -51.6),  # Río Gallegos
    (-68.4, -52.3),  # Cabo Vírgenes
    (-70.0, -52.0),  # Chilean border, west along the Strait
    (-72.0, -51.8),
    (-72.3, -50.7),
    (-73.4, -50.0),  # Southern Patagonian Ice Field
    (-73.2, -49.0),
    (-72.6, -48.0),
    (-72.2, -47.0),
    (-71.7, -46.0),
    (-71.6, -45.0),
    (-71.3, -44.0),
    (-71.7, -43.0),
    (-71.9, -41.0),  # Bariloche's Andes
    (-71.5, -39.0),
    (-71.2, -37.0),
    (-70.4, -36.0),
    (-70.0, -34.0),
    (-70.0, -32.6),  # Aconcagua
    (-69.8, -30.0),
    (-69.0, -28.0),
    (-68.6, -27.0),
    (-68.5, -25.0),
    (-67.3, -24.0),
    (-67.2, -22.8),
)

# The Argentine half of Isla Grande de Tierra del Fuego.
TIERRA_DEL_FUEGO: tuple[tuple[float, float], ...] = (
    (-68.6, -52.65),  # Cabo Espíritu Santo
    (-68.3, -53.2),  # San Sebastián bay
    (-67.7, -53.8),  # Río Grande
    (-66.4, -54.4),
    (-65.2, -54.65),  # Cabo San Diego
    (-66.5, -54.9),
    (-68.3, -54.85),  # Ushuaia
    (-68.6, -54.9),
    (-68.6, -52.65),
)

OUTLINE: tuple[tuple[tuple[float, float], ...], ...] = (MAINLAND, TIERRA_DEL_FUEGO)
# The axes' extent that frames the whole country with a little margin.
LONGITUDE_RANGE = (-74.5, -52.5)
LATITUDE_RANGE = (-55.5, -21.0)
