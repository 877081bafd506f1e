"""Argentine jurisdictions, their main cities, coordinates and telephone area codes.

Population is the 2022 census (thousands, rounded). ``adoption`` scales population into
how likely a BarberPro tenant is to be there: big urban markets adopt booking software
first, so CABA and the large cities weigh more than their headcount alone.
Area codes are the national codes without the trunk 0; with the mobile 9 they give an
E.164 number ``+54 9 <area> <subscriber>`` whose area code plus subscriber is 10 digits.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class City:
    name: str
    latitude: float
    longitude: float
    area_code: str
    weight: float  # relative share of the province's tenants


@dataclass(frozen=True)
class Province:
    name: str
    iso_code: str
    population_k: int
    adoption: float
    price_factor: float  # local price level of services relative to the national mean
    cities: tuple[City, ...]

    @property
    def weight(self) -> float:
        return self.population_k * self.adoption


def _c(name: str, lat: float, lon: float, area: str, weight: float = 1.0) -> City:
    return City(name, lat, lon, area, weight)


PROVINCES: tuple[Province, ...] = (
    Province(
        "Ciudad Autónoma de Buenos Aires",
        "AR-C",
        3121,
        2.6,
        1.20,
        (
            _c("Palermo", -34.5781, -58.4265, "11", 3.0),
            _c("Belgrano", -34.5627, -58.4583, "11", 2.0),
            _c("Recoleta", -34.5875, -58.3974, "11", 2.0),
            _c("Caballito", -34.6191, -58.4430, "11", 2.0),
            _c("Villa Urquiza", -34.5730, -58.4870, "11", 1.5),
            _c("Almagro", -34.6094, -58.4218, "11", 1.5),
            _c("Villa Crespo", -34.5990, -58.4380, "11", 1.5),
            _c("Flores", -34.6280, -58.4630, "11", 1.5),
            _c("Núñez", -34.5460, -58.4630, "11", 1.0),
            _c("San Telmo", -34.6218, -58.3714, "11", 1.0),
            _c("Balvanera", -34.6090, -58.4040, "11", 1.0),
            _c("Villa Devoto", -34.6010, -58.5130, "11", 0.8),
        ),
    ),
    Province(
        "Buenos Aires",
        "AR-B",
        17523,
        1.0,
        1.00,
        (
            _c("La Plata", -34.9214, -57.9545, "221", 2.0),
            _c("Mar del Plata", -38.0055, -57.5426, "223", 2.0),
            _c("Bahía Blanca", -38.7183, -62.2663, "291", 1.0),
            _c("Quilmes", -34.7206, -58.2546, "11", 1.5),
            _c("Lomas de Zamora", -34.7609, -58.4063, "11", 1.5),
            _c("San Justo", -34.6833, -58.5500, "11", 1.5),
            _c("Morón", -34.6534, -58.6198, "11", 1.2),
            _c("San Isidro", -34.4708, -58.5286, "11", 1.2),
            _c("Tigre", -34.4260, -58.5796, "11", 1.0),
            _c("Avellaneda", -34.6625, -58.3653, "11", 1.0),
            _c("Lanús", -34.7000, -58.4000, "11", 1.0),
            _c("Vicente López", -34.5265, -58.4790, "11", 1.0),
            _c("Pilar", -34.4587, -58.9142, "230", 0.8),
            _c("Merlo", -34.6653, -58.7276, "220", 0.6),
            _c("Tandil", -37.3217, -59.1332, "249", 0.5),
            _c("Junín", -34.5850, -60.9589, "236", 0.4),
            _c("Pergamino", -33.8895, -60.5736, "2477", 0.3),
            _c("Luján", -34.5703, -59.1050, "2323", 0.3),
            _c("Olavarría", -36.8927, -60.3225, "2284", 0.3),
            _c("Necochea", -38.5545, -58.7396, "2262", 0.2),
        ),
    ),
    Province(
        "Córdoba",
        "AR-X",
        3840,
        1.3,
        0.95,
        (
            _c("Córdoba", -31.4201, -64.1888, "351", 5.0),
            _c("Río Cuarto", -33.1232, -64.3493, "358", 1.0),
            _c("Villa María", -32.4075, -63.2402, "353", 0.7),
            _c("Villa Carlos Paz", -31.4241, -64.4978, "3541", 0.6),
            _c("San Francisco", -31.4279, -62.0827, "3564", 0.4),
            _c("Alta Gracia", -31.6529, -64.4283, "3547", 0.3),
        ),
    ),
    Province(
        "Santa Fe",
        "AR-S",
        3544,
        1.25,
        0.95,
        (
            _c("Rosario", -32.9442, -60.6505, "341", 5.0),
            _c("Santa Fe", -31.6333, -60.7000, "342", 2.0),
            _c("Rafaela", -31.2503, -61.4867, "3492", 0.5),
            _c("Venado Tuerto", -33.7456, -61.9688, "3462", 0.4),
            _c("Reconquista", -29.1500, -59.6500, "3482", 0.3),
        ),
    ),
    Province(
        "Mendoza",
        "AR-M",
        2043,
        1.25,
        0.95,
        (
            _c("Mendoza", -32.8895, -68.8458, "261", 3.0),
            _c("Godoy Cruz", -32.9254, -68.8450, "261", 1.5),
            _c("Guaymallén", -32.9000, -68.7833, "261", 1.2),
            _c("Luján de Cuyo", -33.0333, -68.8667, "261", 0.6),
            _c("San Rafael", -34.6177, -68.3301, "260", 0.8),
        ),
    ),
    Province(
        "Tucumán",
        "AR-T",
        1731,
        0.8,
        0.85,
        (
            _c("San Miguel de Tucumán", -26.8083, -65.2176, "381", 4.0),
            _c("Yerba Buena", -26.8167, -65.3167, "381", 1.0),
            _c("Tafí Viejo", -26.7322, -65.2592, "381", 0.4),
        ),
    ),
    Province(
        "Entre Ríos",
        "AR-E",
        1426,
        0.75,
        0.90,
        (
            _c("Paraná", -31.7319, -60.5238, "343", 2.0),
            _c("Concordia", -31.3929, -58.0209, "345", 1.0),
            _c("Gualeguaychú", -33.0094, -58.5172, "3446", 0.7),
        ),
    ),
    Province(
        "Salta",
        "AR-A",
        1441,
        0.7,
        0.85,
        (
            _c("Salta", -24.7821, -65.4232, "387", 4.0),
            _c("San Ramón de la Nueva Orán", -23.1322, -64.3262, "3878", 0.5),
        ),
    ),
    Province(
        "Misiones",
        "AR-N",
        1280,
        0.6,
        0.85,
        (
            _c("Posadas", -27.3671, -55.8961, "376", 3.0),
            _c("Oberá", -27.4871, -55.1199, "3755", 0.7),
            _c("Eldorado", -26.4087, -54.6947, "3751", 0.5),
        ),
    ),
    Province(
        "Chaco",
        "AR-H",
        1129,
        0.55,
        0.80,
        (
            _c("Resistencia", -27.4514, -58.9867, "362", 3.0),
            _c("Presidencia Roque Sáenz Peña", -26.7852, -60.4388, "364", 0.6),
        ),
    ),
    Province(
        "Corrientes",
        "AR-W",
        1212,
        0.6,
        0.80,
        (
            _c("Corrientes", -27.4806, -58.8341, "379", 3.0),
            _c("Goya", -29.1439, -59.2651, "3777", 0.5),
        ),
    ),
    Province(
        "Santiago del Estero",
        "AR-G",
        1054,
        0.5,
        0.80,
        (
            _c("Santiago del Estero", -27.7834, -64.2642, "385", 2.5),
            _c("La Banda", -27.7333, -64.2500, "385", 0.8),
        ),
    ),
    Province(
        "San Juan",
        "AR-J",
        822,
        0.7,
        0.90,
        (
            _c("San Juan", -31.5375, -68.5364, "264", 3.0),
            _c("Rivadavia", -31.5333, -68.6000, "264", 0.8),
        ),
    ),
    Province(
        "Jujuy",
        "AR-Y",
        811,
        0.55,
        0.80,
        (
            _c("San Salvador de Jujuy", -24.1858, -65.2995, "388", 3.0),
            _c("Palpalá", -24.2564, -65.2117, "388", 0.5),
        ),
    ),
    Province(
        "Río Negro",
        "AR-R",
        762,
        0.9,
        1.10,
        (
            _c("San Carlos de Bariloche", -41.1335, -71.3103, "294", 2.0),
            _c("General Roca", -39.0333, -67.5833, "298", 1.0),
            _c("Cipolletti", -38.9333, -67.9833, "299", 1.0),
            _c("Viedma", -40.8135, -62.9967, "2920", 0.6),
        ),
    ),
    Province(
        "Neuquén",
        "AR-Q",
        710,
        1.0,
        1.15,
        (
            _c("Neuquén", -38.9516, -68.0591, "299", 3.0),
            _c("Plottier", -38.9667, -68.2333, "299", 0.5),
            _c("San Martín de los Andes", -40.1579, -71.3534, "2972", 0.5),
        ),
    ),
    Province("Formosa", "AR-P", 607, 0.45, 0.80, (_c("Formosa", -26.1775, -58.1781, "370", 1.0),)),
    Province(
        "Chubut",
        "AR-U",
        603,
        0.85,
        1.10,
        (
            _c("Comodoro Rivadavia", -45.8641, -67.4966, "297", 2.0),
            _c("Trelew", -43.2490, -65.3051, "280", 1.0),
            _c("Puerto Madryn", -42.7692, -65.0385, "280", 1.0),
            _c("Rawson", -43.3002, -65.1023, "280", 0.3),
        ),
    ),
    Province(
        "San Luis",
        "AR-D",
        542,
        0.7,
        0.90,
        (
            _c("San Luis", -33.3017, -66.3378, "266", 2.0),
            _c("Villa Mercedes", -33.6757, -65.4578, "2657", 1.0),
        ),
    ),
    Province(
        "Catamarca",
        "AR-K",
        429,
        0.5,
        0.85,
        (_c("San Fernando del Valle de Catamarca", -28.4696, -65.7852, "383", 1.0),),
    ),
    Province(
        "La Rioja",
        "AR-F",
        383,
        0.5,
        0.85,
        (
            _c("La Rioja", -29.4131, -66.8558, "380", 2.0),
            _c("Chilecito", -29.1619, -67.4974, "3825", 0.5),
        ),
    ),
    Province(
        "La Pampa",
        "AR-L",
        361,
        0.7,
        0.95,
        (
            _c("Santa Rosa", -36.6167, -64.2833, "2954", 2.0),
            _c("General Pico", -35.6566, -63.7568, "2302", 1.0),
        ),
    ),
    Province(
        "Santa Cruz",
        "AR-Z",
        333,
        0.8,
        1.20,
        (
            _c("Río Gallegos", -51.6230, -69.2168, "2966", 2.0),
            _c("Caleta Olivia", -46.4393, -67.5281, "297", 1.0),
            _c("El Calafate", -50.3379, -72.2648, "2902", 0.5),
        ),
    ),
    Province(
        "Tierra del Fuego",
        "AR-V",
        185,
        0.9,
        1.25,
        (
            _c("Ushuaia", -54.8019, -68.3030, "2901", 1.0),
            _c("Río Grande", -53.7877, -67.7095, "2964", 1.0),
        ),
    ),
)

# Street names that exist in almost every Argentine city.
STREETS: tuple[str, ...] = (
    "Av. San Martín",
    "Belgrano",
    "Av. Rivadavia",
    "Sarmiento",
    "Mitre",
    "Moreno",
    "Av. Corrientes",
    "25 de Mayo",
    "9 de Julio",
    "Alsina",
    "Av. Santa Fe",
    "Güemes",
    "Lavalle",
    "Urquiza",
    "Av. Colón",
    "Tucumán",
    "Italia",
    "España",
    "Entre Ríos",
    "Av. Independencia",
    "Bolívar",
    "Pueyrredón",
    "Las Heras",
    "Rioja",
    "Catamarca",
    "Av. Pellegrini",
    "Dorrego",
    "Laprida",
    "Brown",
    "Av. Libertador",
    "Maipú",
    "Chacabuco",
    "Mendoza",
    "Junín",
    "Av. Mitre",
    "Echeverría",
    "Castelli",
    "Saavedra",
)
