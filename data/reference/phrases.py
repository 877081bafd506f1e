"""Spanish texts the platform's users write: ticket subjects and NPS comments."""

from __future__ import annotations

# category code -> subjects a tenant writes when opening a ticket of that category
TICKET_SUBJECTS: dict[str, tuple[str, ...]] = {
    "payments": (
        "No se acreditan los pagos de Mercado Pago",
        "Cobro duplicado a un cliente",
        "Error al cobrar la seña de un turno",
        "No puedo conciliar los pagos del día",
        "Un cliente pagó y figura pendiente",
    ),
    "bookings": (
        "Los clientes no pueden reservar online",
        "Turnos duplicados en la agenda",
        "No llegan los recordatorios por WhatsApp",
        "La agenda muestra horarios que no trabajamos",
        "Un cliente reservó en un feriado y estábamos cerrados",
    ),
    "billing": (
        "Consulta por el aumento del abono",
        "La factura del mes tiene un monto incorrecto",
        "No puedo actualizar la tarjeta para el débito",
        "Quiero cambiar de plan",
        "Me debitaron dos veces el abono",
    ),
    "integrations": (
        "Error en la integración con Instagram",
        "No sincroniza con Google Calendar",
        "El botón de reservas de WhatsApp no funciona",
        "No se conecta la cuenta de Mercado Pago",
    ),
    "account": (
        "Alta de un nuevo empleado",
        "Cambio de titular de la cuenta",
        "No puedo ingresar, olvidé mi contraseña",
        "Agregar una nueva sucursal",
    ),
    "bug": (
        "La app se cierra al abrir la agenda",
        "Error al exportar el reporte mensual",
        "No carga la pantalla de servicios",
        "Los precios no se actualizan en la web de reservas",
    ),
    "how_to": (
        "¿Cómo configuro los horarios de feriados?",
        "Necesito capacitación para el equipo",
        "¿Cómo armo una promoción para clientes frecuentes?",
        "¿Cómo veo cuánto facturó cada profesional?",
    ),
}

# (lowest score, highest score, comments)
NPS_COMMENTS: tuple[tuple[int, int, tuple[str, ...]], ...] = (
    (
        0,
        6,
        (
            "Muy caro para lo que ofrece",
            "El soporte tarda mucho en responder",
            "Los clientes se quejan de que la app es complicada",
            "Con cada aumento se hace difícil pagarlo",
            "Se cae seguido y perdemos turnos",
            "No lo usamos tanto como pensábamos",
        ),
    ),
    (
        7,
        8,
        (
            "Anda bien, pero le faltan reportes",
            "Bien en general, mejoraría los recordatorios",
            "Cumple, aunque el precio subió bastante",
            "Buen sistema, el soporte podría ser más rápido",
        ),
    ),
    (
        9,
        10,
        (
            "Excelente, nos ordenó la agenda",
            "Los recordatorios bajaron muchísimo los faltazos",
            "Súper recomendable, la atención es muy buena",
            "Cobrar las señas por Mercado Pago nos cambió el negocio",
            "Muy fácil de usar para todo el equipo",
        ),
    ),
)
